"""GeoPackage, GeoJSON and Shapefile parcels through GDAL (pyogrio).

Shapefile attributes come in GBK as often as in UTF-8: the encoding is taken from the ``.cpg``,
else from the DBF language driver byte, else from the bytes themselves (valid UTF-8 or GBK),
so Chinese text never arrives as mojibake. DBF field names hold at most 10 characters, so
parcel fields travel under fixed short names in shapefiles; a written shapefile gets a QGIS
default style (``<name>.qml``, read by QGIS when it opens the file) whose field aliases are the
Chinese labels of ``suichang_gis.field_labels``.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..crs import WORK_CRS
from ..field_labels import field_label
from ..parcel import PARCEL_FIELDS
from .datum import parse_towgs84
from .finish import finish_import
from .result import ImportResult, ParcelImportError, Skipped, decode_text, read_bytes

SHAPEFILE_NAMES = {
    "parcel_id": "parcel_id", "name": "name", "applicant": "applicant", "industry_code": "ind_code",
    "industry_name": "ind_name", "industrial_category": "ind_cat", "land_use": "land_use",
    "investment_wan": "invest", "annual_tax_wan": "tax", "floor_area_ratio": "far",
    "building_coverage": "coverage", "green_ratio": "green", "energy_tce": "energy_tce",
    "emission_cod_t": "cod_t", "emission_nh3n_t": "nh3n_t", "emission_so2_t": "so2_t",
    "emission_nox_t": "nox_t", "emission_vocs_t": "vocs_t", "water_m3": "water_m3",
}
_FROM_SHAPEFILE = {short: name for name, short in SHAPEFILE_NAMES.items()}
# DBF language driver ids that mean a Chinese code page.
_CHINESE_LDIDS = {0x4D: "GBK", 0x7A: "GBK"}


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _shapefile_encoding(path: Path, notes: list[str], chosen: str | None = None) -> str:
    """The DBF text encoding: the user's choice, else the .cpg or language byte if the bytes
    agree, else what the bytes are (UTF-8 or GBK), always said in a note when not declared.
    """
    name = path.name
    data = path.with_suffix(".dbf").read_bytes()
    header_length = int.from_bytes(data[8:10], "little") if len(data) > 10 else 0
    names, records = data[32:header_length], data[header_length:]
    if chosen:
        if not _decodes(records, chosen):
            notes.append(f"{name}：按您指定的编码“{chosen}”读取，但有字节不符合该编码，个别文字可能不对")
        return chosen
    declared, source = None, ""
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(errors="replace").strip()
        declared = {"936": "GBK", "65001": "UTF-8", "UTF8": "UTF-8", "CP936": "GBK"}.get(text.upper(), text)
        source = f".cpg 声明的编码“{text}”"
        if not _decodes(b"", declared):
            notes.append(f"{name}：.cpg 声明的编码“{text}”无法识别，改为按内容判断")
            declared = None
    elif len(data) > 29 and data[29] in _CHINESE_LDIDS:
        declared, source = _CHINESE_LDIDS[data[29]], "DBF 语言标志（GBK）"
    evidence = "UTF-8" if _decodes(names + records, "utf-8") else ("GBK" if _decodes(names + records, "gb18030") else None)
    agrees = {"UTF-8": ("UTF-8", "UTF8"), "GBK": ("GBK", "GB18030", "CP936", "GB2312")}.get(evidence, ())
    if declared is not None:
        if declared.upper() in agrees or (_decodes(names + records, declared) and not (
                declared.upper() != "UTF-8" and evidence == "UTF-8" and not (names + records).isascii())):
            if not cpg.exists():
                notes.append(f"{name}：没有 .cpg，按{source}读取属性")
            return declared
        if evidence is not None:
            notes.append(f"{name}：{source}与属性表的实际字节不符，按内容判断为 {evidence} 读取；"
                         "若文字仍不对，请用“编码”选项（命令行 --encoding）指定")
            return "GB18030" if evidence == "GBK" else evidence
        notes.append(f"{name}：属性表既不是 UTF-8 也不是 GBK，按{source}读取，个别文字可能不对")
        return declared
    if evidence == "UTF-8" or evidence is None:
        return "UTF-8"
    notes.append(f"{name}：没有 .cpg 编码声明，按内容判断属性编码为 GBK，已按 GBK 读取（未出现乱码）")
    return "GBK"


def _pick_layer(path: Path, layer: str | None, notes: list[str]) -> str | None:
    """The layer to read; a File Geodatabase with several polygon feature classes asks which."""
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise ParcelImportError(f"无法读取 {path.name}：文件损坏、不完整或不是有效的矢量文件（{exc}）") from exc
    names = [str(n) for n, _ in layers]
    polygonal = [str(n) for n, t in layers if t and "Polygon" in str(t)]
    if layer is not None:
        if layer not in names:
            raise ParcelImportError(f"{path.name}：没有名为“{layer}”的图层。文件中的图层：{'、'.join(names)}")
        return layer
    if not names:
        raise ParcelImportError(f"{path.name}：文件中没有任何图层")
    if len(names) == 1:
        return names[0]
    if path.suffix.lower() != ".gpkg" and len(polygonal) != 1:
        listing = "、".join(f"{n}（{t or '无几何'}）" for n, t in layers)
        raise ParcelImportError(f"{path.name}：含 {len(names)} 个要素类：{listing}。请用“图层”选项"
                                "（命令行 --layer 名称）指定要导入哪一个")
    if path.suffix.lower() != ".gpkg":
        notes.append(f"{path.name}：含 {len(names)} 个要素类（{'、'.join(names)}），"
                     f"只有“{polygonal[0]}”是面，已导入它；可用“图层”选项选择其他要素类")
        return polygonal[0]
    chosen = "parcels" if "parcels" in names else (polygonal or names)[0]
    notes.append(f"{path.name}：文件有 {len(names)} 个图层（{'、'.join(names)}），已导入“{chosen}”；"
                 "可用“图层”选项选择其他图层")
    return chosen


def _record_counts(path: Path) -> tuple[int, int | None]:
    """(shapes in the .shx index, records in the .dbf or None) from the file headers."""
    shx = path.with_suffix(".shx").read_bytes()[:100]
    shapes = (int.from_bytes(shx[24:28], "big") * 2 - 100) // 8 if len(shx) == 100 else 0
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        return shapes, None
    with dbf.open("rb") as f:
        head = f.read(8)
    return shapes, int.from_bytes(head[4:8], "little") if len(head) == 8 else 0


def _geometry_only(path: Path) -> gpd.GeoDataFrame:
    """Every shape of a shapefile, read without its .dbf (GDAL stops at the shorter of the two)."""
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".shp", ".shx", ".prj"):
            if path.with_suffix(suffix).exists():
                shutil.copy(path.with_suffix(suffix), Path(folder) / ("g" + suffix))
        return gpd.read_file(Path(folder) / "g.shp", engine="pyogrio")


def _reconcile_counts(path: Path, gdf: gpd.GeoDataFrame, shapes: int, records: int,
                      notes: list[str], skipped: list[Skipped]) -> gpd.GeoDataFrame:
    """A .shp and .dbf of different lengths: every shape imported (attributes empty where the
    .dbf has none), and records without a shape accounted as skipped; never a silent drop.
    """
    name = path.name
    if shapes > records:
        geometry = _geometry_only(path)
        attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reindex(range(len(geometry)))
        gdf = gpd.GeoDataFrame(attributes, geometry=list(geometry.geometry), crs=geometry.crs or gdf.crs)
        notes.append(f"{name}：图形有 {shapes} 个，属性表（.dbf）只有 {records} 条记录；已导入全部图形，"
                     f"第 {records + 1}{f'–{shapes}' if shapes > records + 1 else ''} 个图形没有属性（属性为空），请核对属性表是否完整")
    else:
        for i in range(shapes, records):
            skipped.append(Skipped(f"属性表第 {i + 1} 条记录", "没有对应的图形（.shp 比 .dbf 短）"))
    return gdf


def read_vector(path: Path, *, layer: str | None = None, gcj02: bool = False, encoding: str | None = None,
                towgs84: str | None = None, **_options) -> ImportResult:
    """GeoPackage, GeoJSON, Shapefile or File Geodatabase parcels through GDAL.

    ``encoding`` (Shapefile): the DBF's text encoding when the .cpg is missing or wrong.
    ``towgs84``: 7 parameters for a layer declared in 西安 1980 / 北京 1954 (refused without).
    """
    notes: list[str] = []
    skipped: list[Skipped] = []
    suffix = path.suffix.lower()
    if not path.exists():
        raise ParcelImportError(f"找不到文件 {path}")
    source: Path | io.BytesIO = path
    kwargs = {}
    counts = None
    if suffix == ".shp":
        if not path.with_suffix(".shx").exists():
            raise ParcelImportError(f"{path.name}：缺少同名的 .shx 索引文件，Shapefile 不完整，无法读取")
        if path.with_suffix(".dbf").exists():
            kwargs["encoding"] = _shapefile_encoding(path, notes, encoding)
        else:
            notes.append(f"{path.name}：缺少同名的 .dbf 属性文件，只导入了几何，地块属性为空")
        if not path.with_suffix(".prj").exists():
            notes.append(f"{path.name}：缺少 .prj 坐标系文件，按坐标数值判断坐标系")
        counts = _record_counts(path)
    elif suffix in (".geojson", ".json"):
        text = decode_text(read_bytes(path), path, notes, encoding)
        source = io.BytesIO(text.encode("utf-8"))
    else:
        kwargs["layer"] = _pick_layer(path, layer, notes)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = gpd.read_file(source, engine="pyogrio", use_arrow=True, **kwargs)
        if any("Measured (M)" in str(w.message) for w in caught):
            notes.append(f"{path.name}：图形带有 M 值（测量值），地块只用平面坐标，已去掉 M 值")
    except UnicodeDecodeError:
        if suffix != ".shp":
            raise ParcelImportError(f"{path.name}：属性文字编码无法识别") from None
        gdf = _read_with_whole_field_names(path, kwargs["encoding"], notes)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise ParcelImportError(f"无法读取 {path.name}：文件损坏、不完整或不是有效的矢量文件（{exc}）") from exc
    if counts is not None and counts[1] is not None and counts[0] != counts[1]:
        gdf = _reconcile_counts(path, gdf, *counts, notes, skipped)
    if suffix == ".shp":
        gdf = gdf.rename(columns={c: _FROM_SHAPEFILE[c] for c in gdf.columns if c in _FROM_SHAPEFILE})
        gdf = _restore_field_names(path, gdf, notes)
    gdf = gdf.drop(columns=[c for c in ("fid",) if c in gdf.columns])
    return finish_import(gdf, path, notes, gcj02=gcj02, skipped=skipped,
                         towgs84=parse_towgs84(towgs84, path.name))


def _restore_field_names(path: Path, gdf: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """Whole column names from the ``字段对照`` CSV written beside the shapefile, if any."""
    field_map = path.with_name(path.stem + FIELD_MAP_SUFFIX)
    if not field_map.exists():
        return gdf
    try:
        table = pd.read_csv(field_map, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        mapping = dict(zip(table.iloc[:, 0], table.iloc[:, 1]))
    except (ValueError, IndexError, OSError) as exc:
        notes.append(f"{path.name}：字段对照文件 {field_map.name} 无法读取（{exc}），字段名保持 DBF 中的短名")
        return gdf
    renames = {c: mapping[c] for c in gdf.columns if c in mapping and mapping[c] not in gdf.columns}
    if renames:
        notes.append(f"{path.name}：按 {field_map.name} 恢复了完整字段名：" + "、".join(f"{s}→{c}" for s, c in renames.items()))
    return gdf.rename(columns=renames)


def _read_with_whole_field_names(path: Path, encoding: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Read a shapefile whose DBF field names were cut inside a multi-byte character.

    DBF names hold 10 bytes: a Chinese name longer than 3 characters (UTF-8) is cut mid-character
    by many tools, and GDAL then fails to decode it. A copy with the broken tail dropped is read.
    """
    data = bytearray(path.with_suffix(".dbf").read_bytes())
    header_length = int.from_bytes(data[8:10], "little")
    renamed = []
    for offset in range(32, header_length - 1, 32):
        if data[offset] == 0x0D:
            break
        raw = bytes(data[offset:offset + 11]).split(b"\0", 1)[0]
        fixed = raw.decode(encoding, errors="ignore").encode(encoding)
        if fixed != raw:
            renamed.append(fixed.decode(encoding))
            data[offset:offset + 11] = fixed.ljust(11, b"\0")
    with tempfile.TemporaryDirectory() as folder:
        for sidecar in path.parent.glob(path.stem + ".*"):
            shutil.copy(sidecar, Path(folder) / sidecar.name)
        (Path(folder) / path.with_suffix(".dbf").name).write_bytes(bytes(data))
        try:
            gdf = gpd.read_file(Path(folder) / path.name, engine="pyogrio", encoding=encoding)
        except Exception as exc:  # GDAL raises several types for unreadable files
            raise ParcelImportError(f"无法读取 {path.name}：属性表（.dbf）损坏或编码无法识别（{exc}）") from exc
    notes.append(f"{path.name}：{len(renamed)} 个字段名被截断在汉字中间（DBF 字段名最多 10 字节），"
                 f"已按完整的字符读取为：{'、'.join(renamed)}")
    return gdf


DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile",
           ".gdb": "OpenFileGDB"}


FIELD_MAP_SUFFIX = ".字段对照.csv"  # beside a shapefile: DBF field name → the column's whole name
_DBF_NAME_BYTES, _DBF_TEXT_BYTES = 10, 254


def _fit(text: str, encoding: str, limit: int) -> str:
    """The longest prefix of ``text`` whose encoding takes at most ``limit`` bytes (whole characters)."""
    while len(text.encode(encoding)) > limit:
        text = text[:-1]
    return text


def shapefile_field_names(columns, encoding: str) -> dict[str, str]:
    """Column → DBF field name: at most 10 bytes in ``encoding``, never cut inside a character,
    unique (DBF names are case-insensitive); parcel fields keep their fixed short names.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        text = str(column)
        if column in SHAPEFILE_NAMES:
            short = SHAPEFILE_NAMES[column]
        else:
            text = "".join(ch if _encodable(ch, encoding) else "_" for ch in text)
            short = _fit(text, encoding, _DBF_NAME_BYTES) or "field"
        base, n = short, 1
        while short.lower() in used:
            n += 1
            short = _fit(base, encoding, _DBF_NAME_BYTES - len(f"_{n}")) + f"_{n}"
        used.add(short.lower())
        names[column] = short
    return names


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _check_dbf_text(gdf: gpd.GeoDataFrame, encoding: str) -> None:
    """Raise (Chinese, naming parcel and field) for text a DBF in ``encoding`` cannot hold whole."""
    labels = {f.name: f.label for f in PARCEL_FIELDS}
    for column in gdf.columns:
        if column == gdf.geometry.name or gdf[column].dtype != object:
            continue
        for i, value in enumerate(gdf[column]):
            if not isinstance(value, str):
                continue
            parcel = gdf["parcel_id"].iloc[i] if "parcel_id" in gdf.columns else f"第 {i + 1} 个"
            field = labels.get(column, column)
            try:
                size = len(value.encode(encoding))
            except UnicodeEncodeError as exc:
                raise ValueError(f"地块“{parcel}”的“{field}”含字符“{value[exc.start]}”，{encoding} 编码无法保存，"
                                 "写出会丢字。请改用 GB18030 或 UTF-8 编码导出（命令行 --encoding GB18030）") from None
            if size > _DBF_TEXT_BYTES:
                raise ValueError(f"地块“{parcel}”的“{field}”有 {size} 字节（{encoding}），超过 Shapefile 属性的 "
                                 f"{_DBF_TEXT_BYTES} 字节上限，写出会被截断。请改用 GeoPackage 导出，"
                                 "或用 GB18030 编码（汉字占 2 字节）")


def write_vector(gdf: gpd.GeoDataFrame, path: Path, *, layer: str = "parcels", encoding: str = "UTF-8",
                 crs: str | None = None, notes: list[str] | None = None, **_options) -> Path:
    """Write parcels (2-D; EPSG:4549 unless ``crs``).

    Shapefiles get field names of at most 10 bytes in ``encoding`` (whole characters), a .cpg,
    and, when any name had to be shortened, a ``字段对照`` CSV beside them that ``read_vector``
    uses to restore the whole names; the mapping is also appended to ``notes``. Text a DBF
    cannot hold whole raises ``ValueError`` naming the parcel and field.
    """
    suffix = path.suffix.lower()
    out = gdf.to_crs(crs or WORK_CRS)
    kwargs: dict = {"driver": DRIVERS[suffix], "engine": "pyogrio"}
    if suffix == ".shp":
        _check_dbf_text(out, encoding)
        columns = [c for c in out.columns if c != out.geometry.name]
        labels = [field_label(c, parcel=True) for c in columns]
        names = shapefile_field_names(columns, encoding)
        shortened = {short: str(c) for c, short in names.items() if c not in SHAPEFILE_NAMES and short != str(c)}
        out = out.rename(columns=names)
        kwargs["encoding"] = encoding
        field_map = path.with_name(path.stem + FIELD_MAP_SUFFIX)
        if shortened:
            rows = "".join(f'"{s}","{c}"\r\n' for s, c in shortened.items())
            field_map.write_text("DBF字段名,完整字段名\r\n" + rows, encoding="utf-8-sig")
            if notes is not None:
                notes.append(f"字段对照（DBF 字段名最多 10 字节，已写入 {field_map.name}，重新导入时自动恢复）："
                             + "、".join(f"{c}→{s}" for s, c in shortened.items()))
        else:
            field_map.unlink(missing_ok=True)
    elif suffix in (".gpkg", ".gdb"):
        kwargs |= {"layer": layer, "promote_to_multi": True}
    out.to_file(path, **kwargs)
    if suffix == ".shp":
        fields = pyogrio.read_info(path, encoding=encoding)["fields"]  # as GDAL wrote them (≤ 10 bytes)
        path.with_suffix(".qml").write_text(field_aliases_qml(dict(zip(fields, labels))), encoding="utf-8")
    return path


def field_aliases_qml(aliases: dict[str, str]) -> str:
    """A QGIS style file holding only field aliases (short field name → Chinese label).

    QGIS loads ``<layer>.qml`` beside a shapefile as the layer's default style, so the DBF's
    10-character names show under their Chinese long names there.
    """
    from xml.sax.saxutils import quoteattr

    rows = "".join(f"    <alias index=\"{i}\" field={quoteattr(name)} name={quoteattr(label)}/>\n"
                   for i, (name, label) in enumerate(aliases.items()))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            "<qgis styleCategories=\"Fields\" version=\"3.28\">\n"
            f"  <aliases>\n{rows}  </aliases>\n</qgis>\n")
