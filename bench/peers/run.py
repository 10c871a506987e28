#!/usr/bin/env python3
"""Meridian beside the systems a user would run instead, in one run, under the lab's WAN delays.

Runs by hand, as root (network namespaces), never in CI:

    sudo bench/peers/run.py            # everything, about 17 minutes
    sudo bench/peers/run.py --only etcd,redis --seconds 5

Meridian runs as `./meridian lab up --no-tls` (its own WAN emulator). etcd runs as three members, one per
region, each in a network namespace of its own so that the lab's WAN proxy (`meridian lab
wan-proxy`) can tell which region a connection comes from and delay it as the lab would (35 / 108 /
88 ms one way). Redis runs alone with `appendfsync always`, against a single-region Meridian PUT.
PostgreSQL runs a primary in us-east's namespace and a streaming replica in eu-west's, the
replication connection through the same proxy, against Meridian's asynchronous replication.
The systems run one after the other, never at once: the machine has two cores.

Prints a table of figures and ratios; docs/benchmarks.md ("Meridian beside its peers") says what
each row measures and records runs.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
REGIONS = ["us-east", "eu-west", "ap-southeast"]
ONE_WAY_MS = {("us-east", "eu-west"): 35, ("us-east", "ap-southeast"): 108, ("eu-west", "ap-southeast"): 88}
HUB = "10.77.0.1"  # where the WAN proxy listens, on the host's loopback: every namespace routes to it
PACKAGES = {"etcd": "etcd-server", "etcdctl": "etcd-client", "redis-server": "redis-server",
            "redis-benchmark": "redis-tools", "wrk": "wrk", "ip": "iproute2",
            "/usr/lib/postgresql/15/bin/pgbench": "postgresql-15"}


def one_way(a, b):
    return 0 if a == b else ONE_WAY_MS.get((a, b), ONE_WAY_MS.get((b, a)))


def host(region):
    return "10.77.%d.2" % (REGIONS.index(region) + 1)


def log(msg):
    print("# " + msg, flush=True)


def run(cmd, check=True, capture=True, env=None, timeout=None):
    r = subprocess.run(cmd, check=False, capture_output=capture, text=True, env=env, timeout=timeout)
    if check and r.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout or "", r.stderr or ""))
    return r


def install():
    missing = sorted({pkg for binary, pkg in PACKAGES.items() if shutil.which(binary) is None})
    if not missing:
        return
    log("installing " + " ".join(missing))
    # Debian starts a package's service on install; the benchmark starts its own.
    guard = "/usr/sbin/policy-rc.d"
    placed = not os.path.exists(guard)
    if placed:
        with open(guard, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(guard, 0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "install", "-y", "-q"] + missing, env=env)
    finally:
        if placed:
            os.remove(guard)


# ---------------------------------------------------------------------------------------------
# wrk

def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(url, script, connections, seconds, *args):
    threads = 1 if connections < 2 else 2
    out = run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency", "-s", script, url]
              + (["--"] + list(args) if args else []), timeout=seconds + 60).stdout
    result = {"connections": connections}
    for p in ("50", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % p, out, re.M)
        result["p" + p] = _ms(m.group(1)) if m else None
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = m.group(1) if m else ""
    return result


def cpu_seconds(pids):
    """CPU time (user and system, every thread) the processes have used so far. Per request, it is
    the steadiest figure this machine gives: its speed moves by up to 3x within hours, which moves
    every throughput, but the CPU a request costs moves far less."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / ticks


def wrk_cpu(pids, url, script, connections, seconds, *args):
    """wrk, with the server CPU the run cost per request (microseconds, summed over `pids`)."""
    before = cpu_seconds(pids)
    result = wrk(url, script, connections, seconds, *args)
    result["cpu_us_per_request"] = (cpu_seconds(pids) - before) * 1e6 / max(1, result["requests"])
    return result


def http(method, url, body=None, timeout=1.0):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json" if body and body[:1] == b"{" else "text/plain"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def first_success(method, url, body, limit_s=60):
    """Seconds until a request succeeds, trying every 10 ms (each attempt waits up to 1 s)."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        try:
            status, _ = http(method, url, body)
            if status < 300:
                return time.monotonic() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.01)
    return None


# ---------------------------------------------------------------------------------------------
# Meridian

class Lab:
    def __init__(self, home):
        self.home = home
        self.env = dict(os.environ, MERIDIAN_HOME=home)

    def cli(self, *args, timeout=600):
        return run([os.path.join(ROOT, "meridian")] + list(args), env=self.env, timeout=timeout).stdout

    def up(self):
        log("meridian: lab up")
        self.cli("lab", "up", "--detach", "--no-tls")  # plain HTTP, as the peers run

    def down(self):
        run([os.path.join(ROOT, "meridian"), "lab", "down"], check=False, env=self.env)

    def url(self, region):
        return "http://127.0.0.1:%d" % (7001 + REGIONS.index(region))

    def strong_leader(self):
        try:
            _, body = http("GET", self.url("eu-west") + "/v1/cluster", timeout=5)
        except (urllib.error.URLError, OSError):
            return None
        for g in json.loads(body).get("strong", []) or []:
            if g.get("keyspace") == "accounts":
                return g.get("leader")
        return None

    def wait_leader(self, region, limit_s=60):
        start = time.monotonic()
        while time.monotonic() - start < limit_s:
            if self.strong_leader() == region:
                return True
            time.sleep(0.5)
        return False

    def pid(self, region):
        status = json.loads(self.cli("lab", "status", "--json"))
        return next(r["pid"] for r in status["regions"] if r["name"] == region)

    def consensus_bytes(self):
        status = json.loads(self.cli("lab", "status", "--json"))
        return sum(l.get("bytes_forwarded", 0) for l in status.get("links") or [] if l.get("kind") == "consensus")


def measure_meridian_strong(lab, seconds, failovers):
    url = lab.url("us-east")
    script = os.path.join(ROOT, "bench", "put.lua")
    if not lab.wait_leader("us-east"):
        log("meridian: the strong leader is %s, not us-east" % lab.strong_leader())
    wrk(url, script, 4, 3, "accounts")  # warm up
    out = {"c1": wrk(url, script, 1, seconds, "accounts"), "c16": wrk(url, script, 16, seconds, "accounts")}
    before = lab.consensus_bytes()
    out["c64"] = wrk_cpu([lab.pid(r) for r in REGIONS], url, script, 64, seconds, "accounts")
    out["bytes_per_write"] = (lab.consensus_bytes() - before) / max(1, out["c64"]["requests"])
    before = lab.consensus_bytes()
    time.sleep(10)
    out["idle_bytes_per_link_s"] = (lab.consensus_bytes() - before) / 10 / 6
    times = []
    for i in range(failovers):
        if not lab.wait_leader("us-east"):
            log("meridian: strong leader not back in us-east; failover %d skipped" % (i + 1))
            continue
        time.sleep(2)
        os.kill(lab.pid("us-east"), signal.SIGKILL)  # as etcd's below: the clock starts at the kill
        took = first_success("PUT", lab.url("eu-west") + "/v1/kv/accounts/failover", b"after")
        times.append(took)
        log("meridian: leader killed, first commit through eu-west after %s s" % (None if took is None else round(took, 2)))
        lab.cli("lab", "revive", "us-east")
    out["failover_s"] = times
    return out


def warm_up_meridian(lab, seconds):
    """Every path the figures use, under load at once, before any is measured: four JVMs on two cores
    compile for minutes, where etcd, Redis and PostgreSQL are compiled ahead of time. Under this mixed
    load a node's JIT threads used ~7 s of CPU in the second half-minute, ~1.3 s in the fourth and
    under 0.6 s a half-minute from the sixth on (docs/benchmarks.md, issue 12, third session)."""
    if seconds <= 0:
        return
    log("meridian: warming up for %d s" % seconds)
    url = lab.url("us-east")
    put, get = os.path.join(ROOT, "bench", "put.lua"), os.path.join(ROOT, "bench", "get.lua")
    loads = [(put, 8, ["accounts"]), (put, 16, []), (get, 16, []), (put, 8, ["sessions"])]
    procs = [subprocess.Popen(["wrk", "-t1", "-c%d" % c, "-d%ds" % seconds, "-s", script, url]
                              + (["--"] + args if args else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for script, c, args in loads]
    for p in procs:
        p.wait(timeout=seconds + 60)


def measure_meridian_single(lab, seconds):
    url = lab.url("us-east")
    put, get = os.path.join(ROOT, "bench", "put.lua"), os.path.join(ROOT, "bench", "get.lua")
    wrk(url, put, 64, seconds)  # warm up: the JIT, and the keys the GETs read
    wrk(url, get, 64, 3)
    node = [lab.pid("us-east")]
    return {"put": wrk_cpu(node, url, put, 64, seconds), "get": wrk_cpu(node, url, get, 64, seconds)}


def measure_meridian_async(lab, seconds):
    out = lab.cli("lab", "bench", "--rates", "1000", "--seconds", str(seconds), "--warmup-seconds", "5", timeout=300)
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        # to, rate/s, achieved, writes, failed, p50 ms, p90 ms, p99 ms, max ms, one-way, bytes/write, wan B/write,
        # wan late p99 (how late the emulator itself forwarded the replication traffic during the run)
        if parts and parts[0] in REGIONS and len(parts) >= 13:
            try:
                rows[parts[0]] = {"p50": float(parts[5]), "p99": float(parts[7]), "one_way": float(parts[9]),
                                  "bytes_per_write": float(parts[10]), "wan_bytes_per_write": float(parts[11]),
                                  "achieved": float(parts[2]), "emulator_late_p99": float(parts[12])}
            except ValueError:
                pass
    return {"raw": out, "rows": rows}


# ---------------------------------------------------------------------------------------------
# Network namespaces and the WAN proxy

class Namespaces:
    """One namespace per region, each with a veth pair to the host; the proxy's address on the host."""

    def __init__(self):
        self.made = []

    def __enter__(self):
        self.down(quiet=True)
        run(["ip", "addr", "add", HUB + "/32", "dev", "lo"], check=False)
        for i, region in enumerate(REGIONS, start=1):
            ns, outside, inside = "mb-%d" % i, "mbh%d" % i, "mbn%d" % i
            run(["ip", "netns", "add", ns])
            self.made.append(ns)
            run(["ip", "link", "add", outside, "type", "veth", "peer", "name", inside])
            run(["ip", "link", "set", inside, "netns", ns])
            run(["ip", "addr", "add", "10.77.%d.1/24" % i, "dev", outside])
            run(["ip", "link", "set", outside, "up"])
            run(["ip", "netns", "exec", ns, "ip", "addr", "add", "10.77.%d.2/24" % i, "dev", inside])
            run(["ip", "netns", "exec", ns, "ip", "link", "set", inside, "up"])
            run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
            run(["ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", "10.77.%d.1" % i])
        return self

    def down(self, quiet=False):
        for i in range(1, len(REGIONS) + 1):
            run(["ip", "netns", "del", "mb-%d" % i], check=False)
            run(["ip", "link", "del", "mbh%d" % i], check=False)
        run(["ip", "addr", "del", HUB + "/32", "dev", "lo"], check=False)

    def __exit__(self, *exc):
        self.down()

    @staticmethod
    def exec(region, cmd):
        return ["ip", "netns", "exec", "mb-%d" % (REGIONS.index(region) + 1)] + cmd


class WanProxy:
    def __init__(self, forwards, workdir):
        self.stats = os.path.join(workdir, "wan-proxy.json")
        if os.path.exists(self.stats):
            os.remove(self.stats)  # an earlier proxy's: this one is ready only once it writes its own
        cmd = [os.path.join(ROOT, "meridian"), "lab", "wan-proxy", "--stats", self.stats]
        for r in REGIONS:
            cmd += ["--host", "%s=%s" % (r, host(r))]
        for f in forwards:
            cmd += ["--forward", f]
        self.log = open(os.path.join(workdir, "wan-proxy.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not os.path.exists(self.stats):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the WAN proxy did not start: see " + self.log.name)
            time.sleep(0.2)

    def bytes(self, key="bytes"):
        """Bytes relayed so far, both ways ("bytes") or from the targets back to who dialled ("bytes_back")."""
        with open(self.stats) as f:
            return sum(x[key] for x in json.load(f)["forwards"])

    def late_p99(self):
        """How late the proxy forwarded chunks past their due time since it started, p99 ms of the worst forward."""
        with open(self.stats) as f:
            return max((x["late"]["p99_ms"] for x in json.load(f)["forwards"] if x["late"]["chunks"]), default=None)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# etcd

class Etcd:
    PEER, CLIENT = 2380, 2379

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = {}
        self.cluster = ",".join("%s=http://%s:%d" % (r, HUB, 12381 + i) for i, r in enumerate(REGIONS))

    def client(self, region):
        return "http://%s:%d" % (host(region), self.CLIENT)

    def start(self, region, state="new"):
        i = REGIONS.index(region)
        cmd = Namespaces.exec(region, [
            "etcd", "--name", region, "--data-dir", os.path.join(self.workdir, "etcd-" + region),
            "--listen-peer-urls", "http://%s:%d" % (host(region), self.PEER),
            "--initial-advertise-peer-urls", "http://%s:%d" % (HUB, 12381 + i),
            "--listen-client-urls", self.client(region), "--advertise-client-urls", self.client(region),
            "--initial-cluster", self.cluster, "--initial-cluster-state", state,
            "--initial-cluster-token", "meridian-bench",
            # Meridian's strong groups: election timeouts 1-1.5 s; etcd wants heartbeats at most a fifth of it.
            "--heartbeat-interval", "200", "--election-timeout", "1000", "--pre-vote",
            "--logger", "zap", "--log-level", "warn"])
        logf = open(os.path.join(self.workdir, "etcd-%s.log" % region), "a")
        self.procs[region] = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)

    def ctl(self, *args, region="us-east"):
        # From the host, which reaches every member directly (the namespaces reach each other only through the proxy).
        return run(["etcdctl", "--endpoints", self.client(region)] + list(args),
                   env=dict(os.environ, ETCDCTL_API="3"), check=False, timeout=30)

    def leader(self):
        r = self.ctl("endpoint", "status", "--cluster", "-w", "json")
        if r.returncode != 0:
            return None
        try:
            statuses = json.loads(r.stdout)
        except json.JSONDecodeError:
            return None
        leader_id = next((s["Status"]["leader"] for s in statuses), None)
        members = json.loads(self.ctl("member", "list", "-w", "json").stdout or "{}").get("members", [])
        return next((m["name"] for m in members if m["ID"] == leader_id), None)

    def member_id(self, region):
        members = json.loads(self.ctl("member", "list", "-w", "json").stdout or "{}").get("members", [])
        return next(("%x" % m["ID"] for m in members if m["name"] == region), None)

    def healthy(self, limit_s=60):
        start = time.monotonic()
        while time.monotonic() - start < limit_s:
            if self.ctl("endpoint", "health", "--cluster").returncode == 0:
                return True
            time.sleep(0.5)
        return False

    def lead_from(self, region):
        for _ in range(20):
            current = self.leader()
            if current == region:
                return True
            if current:
                self.ctl("move-leader", self.member_id(region), region=current)
            time.sleep(1)
        return False

    def kill(self, region):
        p = self.procs.pop(region)
        p.send_signal(signal.SIGKILL)
        p.wait()

    def stop(self):
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            p.wait(timeout=30)


def measure_etcd(workdir, seconds, failovers):
    with Namespaces():
        forwards = ["%s:%d=%s:%d" % (HUB, 12381 + i, host(r), Etcd.PEER) for i, r in enumerate(REGIONS)]
        proxy = WanProxy(forwards, workdir)
        etcd = Etcd(workdir)
        try:
            for r in REGIONS:
                etcd.start(r)
            if not etcd.healthy():
                raise SystemExit("etcd did not become healthy: see %s/etcd-*.log" % workdir)
            if not etcd.lead_from("us-east"):
                log("etcd: could not move the leadership to us-east (leader %s)" % etcd.leader())
            url = etcd.client("us-east")
            script = os.path.join(HERE, "etcd-put.lua")
            wrk(url, script, 4, 3)
            out = {"c1": wrk(url, script, 1, seconds), "c16": wrk(url, script, 16, seconds)}
            before = proxy.bytes()
            out["c64"] = wrk_cpu([p.pid for p in etcd.procs.values()], url, script, 64, seconds)
            time.sleep(1.5)  # the stats file is written every second
            out["bytes_per_write"] = (proxy.bytes() - before) / max(1, out["c64"]["requests"])
            before = proxy.bytes()
            time.sleep(10)
            out["idle_bytes_per_link_s"] = (proxy.bytes() - before) / 10 / 6
            times = []
            body = json.dumps({"key": "ZmFpbG92ZXI=", "value": "YWZ0ZXI="}).encode()
            for i in range(failovers):
                if not etcd.lead_from("us-east"):
                    log("etcd: leader not in us-east; failover %d skipped" % (i + 1))
                    continue
                time.sleep(2)
                etcd.kill("us-east")
                took = first_success("POST", etcd.client("eu-west") + "/v3/kv/put", body)
                times.append(took)
                log("etcd: leader killed, first commit through eu-west after %s s" % (None if took is None else round(took, 2)))
                etcd.start("us-east", state="existing")
                etcd.healthy()
            out["failover_s"] = times
            return out
        finally:
            etcd.stop()
            proxy.stop()


# ---------------------------------------------------------------------------------------------
# PostgreSQL

PG_BIN = "/usr/lib/postgresql/15/bin"
# The lag sampler, run on the replica while the primary takes 1,000 inserts a second: every 2 ms, how
# long ago the last transaction it replayed committed on the primary (one clock: one machine). With a
# commit every millisecond that is the replay lag of the latest commit, give or take a millisecond.
PG_SAMPLER = """DO $$
DECLARE lags double precision[] := '{}'; started timestamptz := clock_timestamp();
BEGIN
  WHILE clock_timestamp() - started < interval '%d seconds' LOOP
    lags := lags || extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000;
    PERFORM pg_sleep(0.002);
  END LOOP;
  RAISE NOTICE 'lag-ms %% %%', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(lags) x),
    (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY x) FROM unnest(lags) x);
END $$;"""


def as_postgres(region, cmd):
    return Namespaces.exec(region, ["runuser", "-u", "postgres", "--"] + cmd)


def measure_postgres(workdir, seconds):
    """A primary in us-east and a streaming replica in eu-west, replicating through the lab's delays."""
    pgdir = os.path.join(workdir, "postgres")  # the server runs as the postgres user: its files live here
    primary, replica = os.path.join(pgdir, "primary"), os.path.join(pgdir, "replica")
    os.chmod(workdir, 0o755)
    os.makedirs(pgdir)
    shutil.chown(pgdir, "postgres", "postgres")
    with Namespaces():
        proxy = WanProxy(["%s:15432=%s:5432" % (HUB, host("us-east"))], workdir)
        started = []
        try:
            for d in ("sockets-primary", "sockets-replica"):  # not in the data directory: a base backup would copy the lock
                os.makedirs(os.path.join(pgdir, d))
                shutil.chown(os.path.join(pgdir, d), "postgres", "postgres")
            run(as_postgres("us-east", [PG_BIN + "/initdb", "-D", primary, "-A", "trust", "-U", "postgres"]))
            with open(os.path.join(primary, "postgresql.conf"), "a") as f:
                f.write("listen_addresses = '%s'\nwal_level = replica\nmax_wal_senders = 4\n"
                        "unix_socket_directories = '%s'\n" % (host("us-east"), os.path.join(pgdir, "sockets-primary")))
            with open(os.path.join(primary, "pg_hba.conf"), "a") as f:
                f.write("host all all 0.0.0.0/0 trust\nhost replication all 0.0.0.0/0 trust\n")
            run(as_postgres("us-east", [PG_BIN + "/pg_ctl", "-D", primary, "-l", primary + ".log", "-w", "start"]))
            started.append(("us-east", primary))
            run(as_postgres("eu-west", [PG_BIN + "/pg_basebackup", "-h", HUB, "-p", "15432", "-U", "postgres",
                                        "-D", replica, "-R", "-X", "stream"]))
            with open(os.path.join(replica, "postgresql.conf"), "a") as f:
                f.write("listen_addresses = '%s'\nunix_socket_directories = '%s'\n" % (host("eu-west"), os.path.join(pgdir, "sockets-replica")))
            run(as_postgres("eu-west", [PG_BIN + "/pg_ctl", "-D", replica, "-l", replica + ".log", "-w", "start"]))
            started.append(("eu-west", replica))
            psql = lambda region, sql: run([PG_BIN + "/psql", "-h", host(region), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
                                            "-c", sql], timeout=seconds + 120)
            psql("us-east", "CREATE TABLE lag (id bigserial PRIMARY KEY, v text)")
            script = os.path.join(workdir, "insert.sql")
            with open(script, "w") as f:
                f.write("INSERT INTO lag (v) VALUES (repeat('x', 100));\n")
            pgbench = lambda secs: subprocess.Popen(
                [PG_BIN + "/pgbench", "-h", host("us-east"), "-U", "postgres", "-n", "-R", "1000", "-T", str(secs),
                 "-c", "4", "-j", "2", "-f", script, "postgres"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            pgbench(5).communicate(timeout=120)  # warm up
            time.sleep(2)
            before = proxy.bytes("bytes_back")  # the replica dials the primary: the WAL comes back
            before_both = proxy.bytes()
            writer = pgbench(seconds + 2)
            time.sleep(1)
            sampled = psql("eu-west", PG_SAMPLER % seconds)
            written = writer.communicate(timeout=120)[0]
            time.sleep(2)  # the replica catches up, the stats file is written every second
            m = re.search(r"number of transactions actually processed: (\d+)", written)
            inserts = int(m.group(1)) if m else 0
            lag = re.search(r"lag-ms ([\d.]+) ([\d.]+)", sampled.stderr + sampled.stdout)
            return {"p50": float(lag.group(1)) if lag else None, "p99": float(lag.group(2)) if lag else None,
                    "one_way": one_way("us-east", "eu-west"), "inserts": inserts, "emulator_late_p99": proxy.late_p99(),
                    "bytes_per_write": (proxy.bytes("bytes_back") - before) / max(1, inserts),
                    "wan_bytes_per_write": (proxy.bytes() - before_both) / max(1, inserts)}
        finally:
            for region, d in reversed(started):
                run(as_postgres(region, [PG_BIN + "/pg_ctl", "-D", d, "-m", "immediate", "stop"]), check=False)
            proxy.stop()


# ---------------------------------------------------------------------------------------------
# Redis

def measure_redis(workdir, seconds):
    port = 6390
    d = os.path.join(workdir, "redis")
    os.makedirs(d, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--appendonly", "yes",
                             "--appendfsync", "always", "--save", "", "--daemonize", "no"],
                            stdout=open(os.path.join(workdir, "redis.log"), "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if run(["redis-cli", "-p", str(port), "ping"], check=False).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        out = {}
        for op in ("set", "get"):
            # redis-benchmark counts requests, not seconds: about `seconds` worth at ~40k/s.
            cpu_before = cpu_seconds([proc.pid])
            r = run(["redis-benchmark", "-p", str(port), "-t", op, "-c", "64", "-d", "100", "-r", "10000",
                     "-n", str(40000 * seconds), "--csv"], timeout=seconds * 20 + 60).stdout
            rows = [l for l in r.splitlines() if l.startswith('"' + op.upper())]
            cells = [c.strip('"') for c in rows[-1].split(",")] if rows else []
            # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
            out[op] = {"rps": float(cells[1]), "p50": float(cells[4]), "p99": float(cells[6]),
                       "cpu_us_per_request": (cpu_seconds([proc.pid]) - cpu_before) * 1e6 / (40000 * seconds)} if len(cells) >= 7 else None
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# The table

def fmt(x, unit="", digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return ("{:,.%df}" % digits).format(x) + unit
    return "{:,}".format(x) + unit


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.2f×" % (a / b)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def table(results):
    rows = []
    m, e = results.get("meridian_strong"), results.get("etcd")
    if m or e:
        limit = 2 * one_way("us-east", "eu-west")
        g = lambda r, *path: None if r is None else _dig(r, path)
        rows.append(("strong write p50 at the leader's region, 1 writer (limit %d ms)" % limit,
                     fmt(g(m, "c1", "p50"), " ms"), "etcd " + fmt(g(e, "c1", "p50"), " ms"),
                     ratio(g(m, "c1", "p50"), g(e, "c1", "p50")) + " latency"))
        for c in ("c16", "c64"):
            rows.append(("strong writes/s, %s writers in us-east (p99)" % c[1:],
                         "%s/s (p99 %s)" % (fmt(g(m, c, "rps"), digits=0), fmt(g(m, c, "p99"), " ms")),
                         "etcd %s/s (p99 %s)" % (fmt(g(e, c, "rps"), digits=0), fmt(g(e, c, "p99"), " ms")),
                         ratio(g(m, c, "rps"), g(e, c, "rps")) + " throughput"))
        rows.append(("server CPU per strong write, all three members (64 writers)",
                     fmt(g(m, "c64", "cpu_us_per_request"), " µs", 0), "etcd " + fmt(g(e, "c64", "cpu_us_per_request"), " µs", 0),
                     ratio(g(m, "c64", "cpu_us_per_request"), g(e, "c64", "cpu_us_per_request")) + " CPU"))
        rows.append(("WAN bytes per 100-byte strong write, every link (64 writers)", fmt(g(m, "bytes_per_write"), digits=0),
                     "etcd " + fmt(g(e, "bytes_per_write"), digits=0), ratio(g(m, "bytes_per_write"), g(e, "bytes_per_write")) + " bytes"))
        rows.append(("idle consensus traffic per directed link", fmt(g(m, "idle_bytes_per_link_s"), " B/s", 0),
                     "etcd " + fmt(g(e, "idle_bytes_per_link_s"), " B/s", 0),
                     ratio(g(m, "idle_bytes_per_link_s"), g(e, "idle_bytes_per_link_s")) + " bytes"))
        mf, ef = g(m, "failover_s") or [], g(e, "failover_s") or []
        rows.append(("SIGKILL of the leader -> next commit elsewhere, median (all)",
                     "%s s (%s)" % (fmt(median(mf), digits=2), ", ".join(fmt(x, digits=2) for x in mf)),
                     "etcd %s s (%s)" % (fmt(median(ef), digits=2), ", ".join(fmt(x, digits=2) for x in ef)),
                     ratio(median(mf), median(ef)) + " time"))
    ms, r = results.get("meridian_single"), results.get("redis")
    if ms or r:
        g = lambda x, *path: None if x is None else _dig(x, path)
        rows.append(("single-region PUT/s, 64 connections, synced (p99)",
                     "%s/s (p99 %s)" % (fmt(g(ms, "put", "rps"), digits=0), fmt(g(ms, "put", "p99"), " ms")),
                     "Redis always-fsync %s/s (p99 %s)" % (fmt(g(r, "set", "rps"), digits=0), fmt(g(r, "set", "p99"), " ms")),
                     ratio(g(ms, "put", "rps"), g(r, "set", "rps")) + " throughput"))
        rows.append(("server CPU per single-region PUT (per GET)",
                     "%s µs (%s)" % (fmt(g(ms, "put", "cpu_us_per_request"), digits=0), fmt(g(ms, "get", "cpu_us_per_request"), digits=0)),
                     "Redis %s µs (%s)" % (fmt(g(r, "set", "cpu_us_per_request"), digits=0), fmt(g(r, "get", "cpu_us_per_request"), digits=0)),
                     ratio(g(ms, "put", "cpu_us_per_request"), g(r, "set", "cpu_us_per_request")) + " CPU"))
        rows.append(("single-region GET/s, 64 connections (p99)",
                     "%s/s (p99 %s)" % (fmt(g(ms, "get", "rps"), digits=0), fmt(g(ms, "get", "p99"), " ms")),
                     "Redis %s/s (p99 %s)" % (fmt(g(r, "get", "rps"), digits=0), fmt(g(r, "get", "p99"), " ms")),
                     ratio(g(ms, "get", "rps"), g(r, "get", "rps")) + " throughput"))
    ma, pg = results.get("meridian_async"), results.get("postgres")
    if ma or pg:
        row = (ma or {}).get("rows", {}).get("eu-west")
        above = lambda r, p: None if r is None or r.get(p) is None else r[p] - r["one_way"]
        rows.append(("async lag us-east -> eu-west at 1,000 writes/s: p99 (p50) above the one-way delay",
                     "+%s ms (+%s; %s writes/s achieved)" % (fmt(above(row, "p99")), fmt(above(row, "p50")),
                                                            fmt(None if row is None else row.get("achieved"), digits=0)),
                     "PostgreSQL replica +%s ms (+%s)" % (fmt(above(pg, "p99")), fmt(above(pg, "p50"))),
                     ratio(above(row, "p99"), above(pg, "p99")) + " lag"))
        # The emulator's own share of those lags: Meridian's over its run, the peer proxy's since it started (base backup too).
        rows.append(("of which the WAN emulator's own lateness, p99",
                     "%s ms" % fmt(None if row is None else row.get("emulator_late_p99")),
                     "PostgreSQL's proxy %s ms" % fmt(None if pg is None else pg.get("emulator_late_p99")), ""))
        rows.append(("async bytes per 100-byte write, per target: on the WAN both ways (sent as messages)",
                     "%s (%s)" % (fmt(None if row is None else row.get("wan_bytes_per_write"), digits=0),
                                  fmt(None if row is None else row["bytes_per_write"], digits=0)),
                     "PostgreSQL %s (%s streamed)" % (fmt(None if pg is None else pg.get("wan_bytes_per_write"), digits=0),
                                                      fmt(None if pg is None else pg["bytes_per_write"], digits=0)),
                     ratio(None if row is None else row.get("wan_bytes_per_write"),
                           None if pg is None else pg.get("wan_bytes_per_write")) + " bytes"))
    widths = [max(len(r[i]) for r in rows + [("figure", "Meridian", "peer", "ratio")]) for i in range(4)]
    line = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"
    print(line(("figure", "Meridian", "peer", "ratio")))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def _dig(x, path):
    for p in path:
        if x is None:
            return None
        x = x.get(p)
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="meridian,etcd,redis,postgres",
                        help="comma-separated: meridian, etcd, redis, postgres")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load step")
    parser.add_argument("--failovers", type=int, default=3, help="leader kills per system")
    parser.add_argument("--warmup", type=int, default=240,
                        help="seconds of load on a fresh lab before Meridian is measured (its JIT)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON after the table")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if os.geteuid() != 0 and only & {"etcd", "postgres"}:
        raise SystemExit("etcd and PostgreSQL run in network namespaces: run as root")
    install()
    workdir = tempfile.mkdtemp(prefix="meridian-peers-")
    log("work directory " + workdir)
    results = {}
    if "meridian" in only:
        lab = Lab(os.path.join(workdir, "meridian"))
        os.makedirs(lab.home)
        lab.up()
        try:
            warm_up_meridian(lab, args.warmup)
            results["meridian_single"] = measure_meridian_single(lab, args.seconds)
            # Before the strong step's failovers: each kills us-east, and the revived node starts cold.
            results["meridian_async"] = measure_meridian_async(lab, args.seconds)
            results["meridian_strong"] = measure_meridian_strong(lab, args.seconds, args.failovers)
        finally:
            lab.down()
    # A peer that fails is reported and left out of the table; the others' figures still print.
    failed = []
    for name, measure in (("etcd", lambda: measure_etcd(workdir, args.seconds, args.failovers)),
                          ("redis", lambda: measure_redis(workdir, args.seconds)),
                          ("postgres", lambda: measure_postgres(workdir, args.seconds))):
        if name in only:
            try:
                results[name] = measure()
            except SystemExit as e:
                log("%s failed, left out of the table: %s" % (name, e))
                failed.append(name)
    print()
    table(results)
    if args.json:
        print(json.dumps({k: v for k, v in results.items()}, indent=2, default=str))
    if failed:
        raise SystemExit("failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
