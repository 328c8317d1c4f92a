"""Start the 遂昌 GIS planning workbench: ``python main.py [PROJECT.gpkg] [--catalog CATALOG.toml] [--screenshot OUT.png]``."""

import argparse
import sys

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="遂昌 GIS 规划工作台")
    parser.add_argument("project", nargs="?", metavar="PROJECT.gpkg",
                        help="要打开的项目文件（不存在时新建）；省略时打开上次的项目")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="以默认数据启动，把 1600×1000 的主窗口保存为图片后退出")
    parser.add_argument("--catalog", metavar="CATALOG.toml",
                        help="用户图层目录：用权威文件或共享数据库（PostGIS）的表替换默认图层")
    parser.add_argument("--startup-times", action="store_true",
                        help="打印窗口显示与默认地图绘完的时刻（JSON），然后退出（性能测试用）")
    args = parser.parse_args()
    from ui.app import run

    sys.exit(run(screenshot=args.screenshot, project=args.project, catalog=args.catalog,
                 startup_times=args.startup_times))
