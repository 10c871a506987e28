package io.meridian.it;

import io.meridian.cli.Main;
import io.meridian.client.MeridianClient;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import io.meridian.lab.Launcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the integration tests share: a lab of real processes under {@code dir}, and a client per region. */
final class LabFixture {
    static final List<String> REGIONS = LabTopology.REGIONS.stream().map(LabTopology.Region::name).toList();

    private LabFixture() {
    }

    /**
     * Starts a lab whose regions are killed and cut off on purpose: an operator (none) decides
     * failovers, so none happens unless a test asks for one.
     */
    static Lab up(Path dir, LabTopology.Setup setup) {
        return up(dir, setup, "manual");
    }

    /** Starts a lab whose failovers follow {@code failoverPolicy} (auto: a killed region's keys move on their own). */
    static Lab up(Path dir, LabTopology.Setup setup, String failoverPolicy) {
        Lab lab = new Lab(dir.resolve("lab"), Launcher.current(Main.class.getName()).quickStart(), System.out);
        lab.up(0, setup.withFailover(failoverPolicy, false), Duration.ofSeconds(120));
        return lab;
    }

    /** A client of each region of the running lab, in region order. */
    static Map<String, MeridianClient> clients(Lab lab, Duration timeout) {
        Map<String, MeridianClient> clients = new LinkedHashMap<>();
        for (String r : REGIONS) {
            clients.put(r, MeridianClient.connect(lab.state().orElseThrow().region(r).orElseThrow().url(), timeout));
        }
        return clients;
    }

    /** Closes the clients, stops the lab and deletes its data, then prints the tail of each region's log. */
    static void down(Lab lab, Map<String, MeridianClient> clients, Path dir) throws java.io.IOException {
        if (clients != null) {
            clients.values().forEach(MeridianClient::close);
        }
        if (lab != null) {
            lab.down(true);
        }
        LabLogs.print(dir.resolve("lab/logs"), 12);
    }
}
