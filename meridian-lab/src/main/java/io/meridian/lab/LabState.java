package io.meridian.lab;

import java.util.List;
import java.util.Optional;

/**
 * What {@code lab up} started, saved as {@code .meridian/lab/state.json} so later commands
 * ({@code status}, {@code kill}, {@code down}...) find the processes.
 *
 * @param network the regions' network namespaces with {@code --netns}, else null
 */
public record LabState(String config, String controlUrl, Pid wan, double latencyScale, String startedAt,
                       List<RegionProcess> regions, Traffic traffic, LabNetwork network) {
    public LabState {
        regions = List.copyOf(regions);
    }

    public LabState(String config, String controlUrl, Pid wan, double latencyScale, String startedAt, List<RegionProcess> regions,
                    LabNetwork network) {
        this(config, controlUrl, wan, latencyScale, startedAt, regions, null, network);
    }

    /**
     * The traffic layer of a lab started with {@code --traffic}: the DNS for the whole lab and one
     * process per region (demo shop, gateway, edge).
     *
     * @param plan the traffic plan file the processes read
     */
    public record Traffic(Pid dns, String dnsAddress, String serviceName, String plan, String dnsLog, List<TrafficProcess> regions) {
        public Traffic {
            regions = List.copyOf(regions);
        }

        public Optional<TrafficProcess> region(String name) {
            return regions.stream().filter(r -> r.name().equals(name)).findFirst();
        }

        Traffic withRegion(TrafficProcess updated) {
            return new Traffic(dns, dnsAddress, serviceName, plan, dnsLog,
                    regions.stream().map(r -> r.name().equals(updated.name()) ? updated : r).toList());
        }
    }

    public record TrafficProcess(String name, Pid process, String service, String gateway, String edge, String log) {
    }

    /**
     * A process the lab started: its pid and when it started, which together name it even after
     * the pid is reused by another process. The start is kept twice: in clock ticks since boot
     * (Linux's {@code /proc/PID/stat}), which nothing moves, and as the instant the JDK reports,
     * which Linux derives from the boot time, itself computed as "now minus uptime": it moves when
     * the wall clock is stepped or slewed. Comparing instants exactly once made a running lab's
     * regions look gone (a CI run under load: `lab kill` refused, `lab revive` started a second
     * node, `cost` found no region), so ticks are compared where they are known, and instants
     * with some slack elsewhere.
     *
     * @param startTicks clock ticks from boot to the start, 0 where unknown (not Linux, or a state
     *                   file written before they were kept)
     */
    public record Pid(long pid, long startMillis, long startTicks) {
        /** How far the reported start instant of one process may move between two readings. */
        static final long START_SLACK_MILLIS = 5_000;

        static Pid of(ProcessHandle h) {
            return new Pid(h.pid(), h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L), startTicks(h.pid()));
        }

        /**
         * The live process, if it is still the one the lab started. A zombie is not live: a node
         * killed by another program (a benchmark's SIGKILL) whose parent had exited stays one until
         * init reaps it, which took 1-4 s on this project's 2-core machine, and Java counts it alive meanwhile.
         */
        public java.util.Optional<ProcessHandle> handle() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> !zombie(pid)).filter(this::sameStart);
        }

        /** True when process {@code pid} has exited and waits to be reaped (state Z in {@code /proc/PID/stat}). */
        static boolean zombie(long pid) {
            String[] fields = statFromThird(pid);
            return fields.length > 0 && fields[0].equals("Z"); // not Linux, or gone: isAlive decides
        }

        private boolean sameStart(ProcessHandle h) {
            long ticks = startTicks(pid);
            if (startTicks > 0 && ticks > 0) {
                return ticks == startTicks;
            }
            return startMillis == 0 || h.info().startInstant().map(java.time.Instant::toEpochMilli)
                    .map(t -> Math.abs(t - startMillis) <= START_SLACK_MILLIS).orElse(true);
        }

        /** Clock ticks from boot to the start of process {@code pid} (field 22 of {@code /proc/PID/stat}); 0 where unknown. */
        static long startTicks(long pid) {
            String[] rest = statFromThird(pid);
            try {
                return Long.parseLong(rest[22 - 3]);
            } catch (RuntimeException e) {
                return 0;
            }
        }

        /** The fields of {@code /proc/PID/stat} from the third (the state) on; none where unreadable. */
        private static String[] statFromThird(long pid) {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
                // field 2, the command, is in parentheses and may hold spaces: count from its closing one (field 3 comes next)
                return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            } catch (java.io.IOException | RuntimeException e) {
                return new String[0];
            }
        }
    }

    public record RegionProcess(String name, String url, Pid process, String dataDir, String log) {
        public long pid() {
            return process.pid();
        }
    }

    public Optional<RegionProcess> region(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    LabState withRegion(RegionProcess updated) {
        return new LabState(config, controlUrl, wan, latencyScale, startedAt,
                regions.stream().map(r -> r.name().equals(updated.name()) ? updated : r).toList(), traffic, network);
    }

    LabState withTraffic(Traffic updated) {
        return new LabState(config, controlUrl, wan, latencyScale, startedAt, regions, updated, network);
    }
}
