package io.meridian.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.meridian.core.traffic.TrafficPlan;
import io.meridian.traffic.TrafficRegion;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "traffic-region", hidden = true, description = {
        "Run one region's traffic layer of the lab (demo shop, gateway, edge) from the plan `lab up --traffic` wrote."})
final class TrafficRegionCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ConnectionOptions tls;

    @Option(names = "--plan", required = true, description = "the lab's traffic.json")
    Path plan;

    @Option(names = "--region", required = true)
    String region;

    /** The region's own certificate, from the lab's certificates directory, for its gateway and edge to show. */
    private javax.net.ssl.SSLContext serving() throws java.io.IOException {
        if (tls.certs == null) {
            throw new IllegalArgumentException("the plan has " + region + "'s gateway and edge serve HTTPS: give --certs DIR");
        }
        io.meridian.tls.TlsFiles files = io.meridian.tls.TlsFiles.of(tls.certs, io.meridian.tls.Identity.region(region));
        return io.meridian.tls.PemKeyPair.context(files.keyManager(), null);
    }

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", region + "-traffic");
        TrafficRegion traffic;
        try {
            TrafficPlan p = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .readValue(plan.toFile(), TrafficPlan.class);
            javax.net.ssl.SSLContext dial = tls.context(null);
            traffic = new TrafficRegion(p, region, dial, p.require(region).tls() ? new io.meridian.traffic.TrafficTls(serving(), dial)
                    : io.meridian.traffic.TrafficTls.PLAIN);
            traffic.start();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("error: the traffic layer of " + region + " did not start: " + e);
            return 2;
        }
        System.out.println("traffic layer of " + region + " running");
        return Foreground.runUntilStopped(traffic);
    }
}
