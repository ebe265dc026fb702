"""What a `tool = "wapiti"` table may say, and the checks made when gates.toml is read.

Kept apart from check.py (which runs the scanner) so the metrics and options
read as one list. Only scopes that stay on the target's own URL are offered
(url, page, folder): wapiti's `domain`/`subdomain`/`punk` would crawl hosts
the gate was not told to attack. Modules that prove a finding through an
outside server (ssrf, xxe: `endpoint`; log4shell: `dns_endpoint`) need one
named: wapiti's default is a public server of its authors, which a gate
must not send the target's data to, and without one they find nothing.
Pinned to 3.2 (tested with 3.2.3): 3.3 needs Python >= 3.12, and its module
log lines and report are what check.py reads, so a new minor is checked first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pytest_tower.checks import target
from pytest_tower.checks import waivers as _waivers
from pytest_tower.core.model import SECONDS, MetricSpec, Option
from pytest_tower.core.suggest import did_you_mean

REQUIREMENTS = ("wapiti3>=3.2,<3.3",)
PASSIVE = ("http_headers", "cookieflags", "csp", "methods")
MODULES = ("backup", "brute_login_form", "buster", "cms", "cookieflags", "crlf", "csp", "csrf",
           "exec", "file", "htaccess", "htp", "http_headers", "https_redirect", "ldap",
           "log4shell", "methods", "network_device", "nikto", "permanentxss", "redirect",
           "shellshock", "spring4shell", "sql", "ssl", "ssrf", "takeover", "timesql", "upload",
           "wapp", "wp_enum", "xss", "xxe")
NEEDS_ENDPOINT = ("ssrf", "xxe")
NEEDS_DNS = ("log4shell",)

METRICS = [
    MetricSpec("findings", help="vulnerabilities found, not waived; findings[Clickjacking "
               "Protection] counts one wapiti category", keyed=True, key_default=0),
    MetricSpec("anomalies", help="anomalies (e.g. Internal Server Error under attack), not "
               "waived; anomalies[<category>] counts one", keyed=True, key_default=0),
    MetricSpec("additionals", help="informational results (e.g. HTTP Methods); "
               "additionals[<category>] counts one", keyed=True, key_default=0),
    MetricSpec("crawled", help="URLs and forms wapiti found and scanned"),
    MetricSpec("waived", help="findings and anomalies waived by an active `ignore` entry"),
    MetricSpec("expired", help="`ignore` entries past their `until` date"),
    MetricSpec("scan_time", SECONDS, help="how long the scan took"),
]

OPTIONS: dict[str, Option] = {
    **target.OPTIONS,
    "modules": Option("str_list", "wapiti attack modules (default: the passive "
                      + ", ".join(PASSIVE) + "); active ones on request, e.g. sql, xss, exec, "
                      "file, crlf, redirect, ssrf", default=list(PASSIVE)),
    "scope": Option("str", "what wapiti may crawl: url (that URL only), page, folder",
                    default="folder", choices=("url", "page", "folder")),
    "exclude": Option("str_list", "URLs not to scan: paths on the target (\"/logout\", "
                      "\"/admin/*\") or full URLs under it", default=[]),
    "max_scan_time": Option("duration", "time for crawling; the scan then runs every module",
                            default=300.0),
    "max_attack_time": Option("duration", "most time per attack module (default: no limit; "
                              "a module cut short is an error)", default=0.0),
    "endpoint": Option("str", "a server of yours that wapiti and the target both reach, for "
                       "ssrf and xxe (wapiti --endpoint)", default=""),
    "dns_endpoint": Option("str", "a DNS domain of yours, for log4shell", default=""),
    "ignore": Option("table_list", "waivers: { id = \"<category>\" or a module, url = "
                     "\"/path*\" (glob, optional), reason, until = 2027-03-31 }", default=[]),
    "python": Option("str", "an interpreter that has wapiti3 (default: pytest-tower's own "
                     "isolated venv under .tower/tools)", default=""),
}


def validate(options: Mapping[str, Any]) -> None:
    target.validate(options)
    modules = options["modules"]
    if not modules:
        raise ValueError("modules is empty: nothing would be scanned; leave it out for the "
                         "passive " + ", ".join(PASSIVE))
    for name in modules:
        if name not in MODULES:
            hint = did_you_mean(name, MODULES)
            raise ValueError(f"modules: {name!r} is not a wapiti module"
                             + (f" (did you mean {hint!r}?)" if hint else "")
                             + "; wapiti 3.2 has " + ", ".join(MODULES))
    if len(set(modules)) != len(modules):
        raise ValueError("modules: a module is listed twice")
    needing = [m for m in modules if m in NEEDS_ENDPOINT]
    if needing and not options["endpoint"]:
        raise ValueError(f"modules {', '.join(needing)} prove a finding through a server both "
                         "wapiti and the target reach: set endpoint = \"http://...\" to one of "
                         "yours (wapiti's default is a public server of its authors)")
    if [m for m in modules if m in NEEDS_DNS] and not options["dns_endpoint"]:
        raise ValueError("module log4shell needs dns_endpoint = \"<a DNS domain of yours>\"")
    if options["endpoint"]:
        parts = urlsplit(options["endpoint"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint = {options['endpoint']!r} must be an http(s) URL")
    for value in options["exclude"]:
        if not value.startswith("/") and "://" not in value:
            raise ValueError(f"exclude: {value!r} must be a path on the target (\"/logout\") "
                             "or a full URL under it")
    if options["max_scan_time"] <= 0:
        raise ValueError("max_scan_time must be more than 0")
    _waivers.validate(options["ignore"], scope_key="url", example="Clickjacking Protection")
