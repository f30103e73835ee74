#!/usr/bin/env bash
# One more page of the Django anchor, measured as its measure.sh measures:
# the numbered list page P (default 5000, half-way through 1,000,000 posts
# at 100 a page), which measure.sh does not time at that depth.
set -eu
P=${1:-5000}
PORT=18901
D=/tmp/django-anchor; cd $D
setsid gunicorn --chdir $D -w 2 -b 127.0.0.1:$PORT anchor.wsgi >/tmp/django-gunicorn.log 2>&1 &
GPID=$!
trap 'kill -- -$GPID 2>/dev/null || true' EXIT
for i in $(seq 60); do curl -fs -o /dev/null http://127.0.0.1:$PORT/admin/login/ && break; sleep 0.5; done
jar=$(mktemp)
curl -s -c $jar -b $jar -o /dev/null http://127.0.0.1:$PORT/admin/login/
tok=$(grep csrftoken $jar | awk '{print $7}')
curl -s -c $jar -b $jar -o /dev/null -X POST -H "Referer: http://127.0.0.1:$PORT/admin/login/" \
  -d "csrfmiddlewaretoken=$tok&username=admin&password=admin-pass-123&next=/admin/" http://127.0.0.1:$PORT/admin/login/
sid=$(grep sessionid $jar | awk '{print $7}')
[ -n "$sid" ] || { echo "login failed"; exit 1; }
path="/admin/blog/post/?p=$P"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sessionid=$sid; csrftoken=$tok" "http://127.0.0.1:$PORT$path")
out=$(wrk -t2 -c8 -d10s --latency -H "Cookie: sessionid=$sid; csrftoken=$tok" "http://127.0.0.1:$PORT$path" 2>&1)
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p50=$(echo "$out" | awk '$1=="50%" {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
echo "django $path rps=$rps p50=$p50 non2xx=${non2xx:-0} (status $status)"
