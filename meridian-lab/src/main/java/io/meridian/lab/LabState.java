package io.meridian.lab;

import java.util.List;
import java.util.Optional;

/**
 * What {@code lab up} started, saved as {@code .meridian/lab/state.json} so later commands
 * ({@code status}, {@code kill}, {@code down}...) find the processes.
 */
public record LabState(String config, String controlUrl, long wanPid, double latencyScale, String startedAt,
                       List<RegionProcess> regions) {
    public LabState {
        regions = List.copyOf(regions);
    }

    public record RegionProcess(String name, String url, long pid, String dataDir, String log) {
        RegionProcess withPid(long newPid) {
            return new RegionProcess(name, url, newPid, dataDir, log);
        }
    }

    public Optional<RegionProcess> region(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    LabState withRegion(RegionProcess updated) {
        return new LabState(config, controlUrl, wanPid, latencyScale, startedAt,
                regions.stream().map(r -> r.name().equals(updated.name()) ? updated : r).toList());
    }
}
