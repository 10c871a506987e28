package io.meridian.cli;

import io.meridian.core.config.ConfigException;
import io.meridian.lab.WanEmulator;
import io.meridian.node.ConfigFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "wan", description = "Run the WAN emulator of a configuration's links in the foreground (the lab starts it).")
final class WanCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "the YAML file with 'links' and 'wan' sections")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", "wan");
        WanEmulator wan;
        try {
            wan = WanEmulator.start(ConfigFile.load(config));
        } catch (ConfigException | IOException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            wan.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
