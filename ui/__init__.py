"""The PySide6 front end. It imports suichang_gis; suichang_gis never imports ui."""
