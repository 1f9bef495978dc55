#!/usr/bin/env bash
# The fresh-machine check of the embedded font: with the system's fonts hidden (a private mount
# namespace with an empty folder bound over /usr/share/fonts), `beian serve` hands out a
# verification-form PDF whose text, read back by `pdftotext`, holds the sponsor's Chinese name.
#
#   scripts/check-embedded-font.sh [path/to/beian]      (root, or a user who may unshare -m)
#
# Needs util-linux `unshare`, python3 and poppler-utils' `pdftotext`. Exits non-zero on failure.
set -euo pipefail
bin=$(realpath "${1:-target/debug/beian}")

if [ "${BEIAN_FONTS_HIDDEN:-}" != 1 ]; then
  empty=$(mktemp -d)
  # Private mounts (unshare's default propagation): the bind mount never leaves this process.
  exec unshare -m bash -c '
    mkdir -p /usr/share/fonts
    mount --bind "$1" /usr/share/fonts
    BEIAN_FONTS_HIDDEN=1 exec "$0" "$2"' "$0" "$empty" "$bin"
fi

if [ -n "$(find /usr/share/fonts -mindepth 1 -print -quit)" ]; then
  echo "FAIL: /usr/share/fonts is not hidden" >&2
  exit 1
fi
echo "system fonts hidden: /usr/share/fonts is empty"

dir=$(mktemp -d)
"$bin" serve --data-dir "$dir/data" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's#^beian is listening on http://\([^/]*\)/$#\1#p' "$dir/out")
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/err" >&2; echo "FAIL: beian serve exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$addr" ] || { echo "FAIL: beian serve did not start" >&2; exit 1; }

NAME="杭州字体示例科技有限公司"
python3 - "$addr" "$NAME" "$dir/form.pdf" <<'PY'
import json, sys, urllib.request

addr, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
base = f"http://{addr}/api/v1"
cookie = None

def call(method, path, body=None):
    global cookie
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req) as res:
        got = res.read()
        if res.headers.get("Set-Cookie", "").startswith("beian_session="):
            cookie = res.headers["Set-Cookie"].split(";")[0]
        if res.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(got)
        return got

def resident_id(body17):
    # GB 11643-1999 check character.
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]

person = {"name": "张三", "certificate_type": "resident_id",
          "certificate_number": resident_id("33010619900101001"), "mobile": "13800138000",
          "email": "zhang@example.cn", "emergency_mobile": "13900139000",
          "office_phone": "0571-88888888"}
call("POST", "/accounts", {"username": "fontcheck", "password": "correct horse 1",
                           "email": "fontcheck@example.com", "mobile": "13812345678"})
call("POST", "/sessions", {"username": "fontcheck", "password": "correct horse 1"})
sponsor = {"province": "33", "nature": "enterprise", "certificate_type": "credit_code",
           "certificate_number": "91330106888800018B", "name": name}
domain = "font-check-example.cn"
created = call("POST", "/orders", {"domain": domain, "sponsor": sponsor})
order = created.get("id") or created.get("order_id")
sponsor.update({"address": "浙江省杭州市西湖区文三路 1 号", "responsible": person})
call("PUT", f"/orders/{order}/sponsor", sponsor)
call("PUT", f"/orders/{order}/website", {
    "name": "字体示例网站", "domain": domain, "home_url": f"https://www.{domain}/",
    "service_content": "企业官网", "languages": ["zh_cn"], "responsible": person,
    "pre_approvals": []})
pdf = call("GET", f"/orders/{order}/verification-form")
assert pdf.startswith(b"%PDF-"), pdf[:100]
open(out, "wb").write(pdf)
PY

text=$(pdftotext "$dir/form.pdf" - | tr -d ' \n')
if [[ "$text" != *"$NAME"* ]]; then
  echo "FAIL: the form's text lacks $NAME:" >&2
  echo "$text" >&2
  exit 1
fi
echo "OK: with no system fonts, the verification form shows $NAME ($(wc -c <"$dir/form.pdf") bytes)"
