"""wapiti's JSON report and its module log, read. Pure (text in, data out).

Why both: wapiti exits 0 whether it found problems, found nothing, or reached
nothing, so the JSON report is the only verdict: `vulnerabilities`,
`anomalies` and `additionals` map each category to a list (every category
wapiti knows is listed, empty ones too), `infos.crawled_pages_nbr` counts what
it reached and `infos.target` says where it went. Which attack modules ran
and whether one was cut short is in no report: only its log lines say so
("[*] Launching module csp", "Max attack time was reached for module sql",
"Max scan time was reached") — read from its output, kept as an artifact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTIONS = ("vulnerabilities", "anomalies", "additionals")
LEVELS = {0: "INFO", 1: "LOW", 2: "MEDIUM", 3: "HIGH", 4: "CRITICAL"}
_LAUNCHED = re.compile(r"\[\*\] Launching module (\w+)")
_CUT = re.compile(r"Max attack time was reached for module (\w+)")
_SCAN_CUT = "Max scan time was reached"


class ReportError(ValueError):
    """The report is missing, unreadable or not wapiti's shape."""


@dataclass(frozen=True)
class Item:
    section: str      # vulnerabilities, anomalies, additionals
    category: str
    method: str
    path: str
    info: str
    level: str
    module: str
    parameter: str = ""
    curl: str = ""


@dataclass
class Report:
    target: str
    version: str
    crawled: int
    categories: dict[str, list[str]]   # section -> every category wapiti knows
    items: list[Item] = field(default_factory=list)


@dataclass
class ModuleLog:
    launched: list[str]
    cut: list[str]
    scan_cut: bool


def read(path: Path) -> Report:
    if not path.is_file():
        raise ReportError(f"no JSON report at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"the JSON report {path} is unreadable: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("infos"), dict) or not all(
            isinstance(data.get(s), dict) for s in SECTIONS):
        raise ReportError(f"the JSON report {path} is not wapiti 3's (infos, vulnerabilities, "
                          "anomalies, additionals)")
    infos = data["infos"]
    crawled = infos.get("crawled_pages_nbr")
    if not isinstance(crawled, int) or isinstance(crawled, bool):
        raise ReportError(f"the JSON report {path} does not say how many pages were crawled")
    report = Report(target=str(infos.get("target", "")), version=str(infos.get("version", "")),
                    crawled=crawled, categories={s: sorted(data[s]) for s in SECTIONS})
    for section in SECTIONS:
        for category, found in data[section].items():
            if not isinstance(found, list) or not all(isinstance(v, dict) for v in found):
                raise ReportError(f"the JSON report {path}: {section}[{category!r}] is not a "
                                  "list of findings")
            report.items.extend(_item(section, category, v) for v in found)
    return report


def _item(section: str, category: str, raw: dict[str, Any]) -> Item:
    level = raw.get("level")
    return Item(section=section, category=category, method=str(raw.get("method", "GET")),
                path=str(raw.get("path", "/")), info=str(raw.get("info", "")),
                level=LEVELS.get(level, str(level)) if isinstance(level, int) else "",
                module=str(raw.get("module", "")), parameter=str(raw.get("parameter") or ""),
                curl=str(raw.get("curl_command") or ""))


def modules(output: str) -> ModuleLog:
    return ModuleLog(launched=list(dict.fromkeys(_LAUNCHED.findall(output))),
                     cut=list(dict.fromkeys(_CUT.findall(output))),
                     scan_cut=_SCAN_CUT in output)
