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
                regions.stream().map(r -> r.name().equals(updated.name()) ? updated : r).toList(), traffic, network);
    }

    LabState withTraffic(Traffic updated) {
        return new LabState(config, controlUrl, wan, latencyScale, startedAt, regions, updated, network);
    }
}
