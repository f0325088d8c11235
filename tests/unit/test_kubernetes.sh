#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# deploy/kubernetes/sockflow.yaml, checked without a cluster (none runs here):
#   - it parses (python3-yaml) into a ConfigMap and a DaemonSet (and its Namespace);
#   - the DaemonSet: host PID and network, a termination grace period longer than a stop
#     may take, the capabilities container_image.sh runs the image with (all others
#     dropped), RuntimeDefault seccomp, not privileged, every hostPath mounted read-only,
#     the image `make image` tags, the ConfigMap mounted where sockflow reads its config;
#   - the ConfigMap's sockflow.conf passes `sockflow --check`.
srcdir=${top_srcdir:-$(dirname "$0")/../..}
builddir=${top_builddir:-$srcdir}
SOCKFLOW=${SOCKFLOW:-$builddir/src/sockflow}
: "${SOCKFLOW_TEMPLATES_DIR:=$srcdir/templates}"
export SOCKFLOW_TEMPLATES_DIR
manifest=$srcdir/deploy/kubernetes/sockflow.yaml
PYTHON=/usr/bin/python3

"$PYTHON" -c 'import yaml' 2>/dev/null ||
	{ echo "SKIP: test_kubernetes: python3-yaml not installed (run scripts/deps.sh)"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The capabilities the image test grants, exactly (its CAPS line).
caps=$(sed -n 's/^CAPS="\(.*\)"$/\1/p' "$srcdir/tests/integration/container_image.sh")
[ -n "$caps" ] || { echo "FAIL: no CAPS line in tests/integration/container_image.sh"; exit 1; }
# Where the image's sockflow reads its config: scripts/image.sh builds only from a tree
# configured so (this build's own sysconfdir may be another, as in make distcheck).
conf_path=$(sed -n "s|.*grep -q 'default \(/[^']*\)'.*|\1|p" "$srcdir/scripts/image.sh")
[ -n "$conf_path" ] || { echo "FAIL: no config path check in scripts/image.sh"; exit 1; }
version=$("$SOCKFLOW" --version | awk '{ print $2 }')

"$PYTHON" - "$manifest" "$tmp/sockflow.conf" "$caps" "$conf_path" "$version" <<'PY' || exit 1
import os, sys, yaml

manifest, conf_out, caps, conf_path, version = sys.argv[1:]
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)

docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d.get('kind'), []).append(d)
check(sorted(by_kind) == ['ConfigMap', 'DaemonSet', 'Namespace'],
      'kinds: %s, expected a Namespace, a ConfigMap and a DaemonSet' % sorted(by_kind))
cm, ds = by_kind['ConfigMap'][0], by_kind['DaemonSet'][0]
ns = by_kind['Namespace'][0]['metadata']['name']
check(cm['metadata'].get('namespace') == ns and ds['metadata'].get('namespace') == ns,
      'ConfigMap and DaemonSet not in namespace %s' % ns)

spec = ds['spec']
pod = spec['template']['spec']
labels = spec['template']['metadata'].get('labels', {})
check(all(labels.get(k) == v for k, v in spec['selector']['matchLabels'].items()),
      'the selector does not match the pod labels')
check(pod.get('hostPID') is True, 'hostPID is not true')
check(pod.get('hostNetwork') is True, 'hostNetwork is not true')
# A stop exports every open flow and flushes the collectors; issue 13 allows it 5 s.
grace = pod.get('terminationGracePeriodSeconds', 30)
check(grace > 5, 'terminationGracePeriodSeconds %s is not longer than the 5 s of a stop' % grace)

(ctr,) = pod['containers']
check(ctr['image'] == 'localhost/sockflow:' + version,
      'image %s is not the one make image tags (localhost/sockflow:%s)' % (ctr['image'], version))
sc = ctr.get('securityContext', {})
check(not sc.get('privileged', False), 'the container is privileged')
check(sc.get('seccompProfile', {}).get('type') == 'RuntimeDefault', 'seccomp is not RuntimeDefault')
check(sc.get('capabilities', {}).get('drop') == ['ALL'], 'capabilities.drop is not [ALL]')
want = sorted(c[len('CAP_'):] for c in caps.split())
have = sorted(c[len('CAP_'):] if c.startswith('CAP_') else c
              for c in sc.get('capabilities', {}).get('add', []))
check(have == want, 'capabilities.add %s, the image test grants %s' % (have, want))

volumes = {v['name']: v for v in pod.get('volumes', [])}
mounts = {m['name']: m for m in ctr.get('volumeMounts', [])}
for name, v in volumes.items():
    check(name in mounts, 'volume %s is not mounted' % name)
    if 'hostPath' in v and name in mounts:
        check(mounts[name].get('readOnly') is True, 'hostPath %s is not mounted read-only'
              % v['hostPath']['path'])
for path in ('/sys/fs/cgroup', '/sys/kernel/btf'):
    check(any(v.get('hostPath', {}).get('path') == path and mounts.get(n, {}).get('mountPath')
              == path for n, v in volumes.items()), 'no read-only hostPath mount of %s' % path)

key = os.path.basename(conf_path)
cfg = [n for n, v in volumes.items() if v.get('configMap', {}).get('name') == cm['metadata']['name']]
check(len(cfg) == 1 and mounts.get(cfg[0], {}).get('mountPath') == os.path.dirname(conf_path),
      'the ConfigMap is not mounted at %s' % os.path.dirname(conf_path))
check(key in cm.get('data', {}), 'the ConfigMap has no %s' % key)
open(conf_out, 'w').write(cm.get('data', {}).get(key, ''))

for p in problems:
    print('FAIL: %s' % p)
if problems:
    sys.exit(1)
print('ok: DaemonSet (hostPID, hostNetwork, grace %s s, capabilities %s, read-only host '
      'mounts) and ConfigMap' % (grace, ' '.join(have)))
PY

"$SOCKFLOW" -c "$tmp/sockflow.conf" --check >"$tmp/check.out" 2>&1 ||
	{ echo "FAIL: the ConfigMap's sockflow.conf: $(cat "$tmp/check.out")"; exit 1; }
echo "ok: sockflow --check accepts the ConfigMap's sockflow.conf ($(grep '^collectors=' "$tmp/check.out"))"
