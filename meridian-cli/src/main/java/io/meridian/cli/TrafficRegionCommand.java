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

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", region + "-traffic");
        TrafficRegion traffic;
        try {
            TrafficPlan p = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .readValue(plan.toFile(), TrafficPlan.class);
            traffic = new TrafficRegion(p, region, tls.context(null));
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
