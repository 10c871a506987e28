package io.meridian.lab;

import java.util.List;
import java.util.Optional;

/**
 * What {@code lab up} started, saved as {@code .meridian/lab/state.json} so later commands
 * ({@code status}, {@code kill}, {@code down}...) find the processes.
 */
public record LabState(String config, String controlUrl, Pid wan, double latencyScale, String startedAt,
                       List<RegionProcess> regions) {
    public LabState {
        regions = List.copyOf(regions);
    }

    /**
     * A process the lab started: its pid and the instant the OS says it started, which together
     * name it even after the pid is reused by another process.
     */
    public record Pid(long pid, long startMillis) {
        static Pid of(ProcessHandle h) {
            return new Pid(h.pid(), h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L));
        }

        /** The live process, if it is still the one the lab started. */
        public java.util.Optional<ProcessHandle> handle() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> startMillis == 0 || h.info().startInstant().map(java.time.Instant::toEpochMilli)
                            .map(t -> t == startMillis).orElse(true));
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
                regions.stream().map(r -> r.name().equals(updated.name()) ? updated : r).toList());
    }
}
