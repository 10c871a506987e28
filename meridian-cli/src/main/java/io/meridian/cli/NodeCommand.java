package io.meridian.cli;

import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.ConfigFile;
import io.meridian.node.NodeStartException;
import io.meridian.node.RegionNode;
import io.meridian.storage.StorageException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "node", description = "Run one region's node in the foreground.")
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the deployment's YAML file")
    Path config;

    @Option(names = "--region", required = true, description = "the region this node serves")
    String region;

    @Option(names = "--data-dir", description = "where the region's data lives (default: data/REGION)")
    Path dataDir;

    /** How long a stopping node waits for the requests in flight (a strong write waits out a leadership transfer). */
    static final java.time.Duration DRAIN_AT_MOST = java.time.Duration.ofSeconds(5);

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", region); // read by logback.xml: set before the first log line
        MeridianConfig parsed;
        RegionNode node;
        try {
            parsed = ConfigFile.load(config);
            node = RegionNode.create(parsed, region, dataDir != null ? dataDir : Path.of("data", region));
            node.start();
        } catch (ConfigException | NodeStartException | StorageException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM (a planned stop, a rolling restart): drain first, so clients lose no request.
            node.drain(DRAIN_AT_MOST);
            node.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
