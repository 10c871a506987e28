package io.meridian.cli;

import io.meridian.client.MeridianClient;
import io.meridian.core.api.ProjectionView;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "projections", description = "The read models a region folds from its event-log keyspaces: their lag, a"
        + " stream's state, rebuilds by replay.",
        subcommands = {ProjectionsCommand.ListProjections.class, ProjectionsCommand.Show.class, ProjectionsCommand.Rebuild.class},
        footerHeading = "%nExamples:%n",
        footer = {"  ./meridian projections list --region eu-west",
                "  ./meridian projections show --region eu-west order-status o-17",
                "  ./meridian projections rebuild --region eu-west order-status"})
final class ProjectionsCommand {
    private ProjectionsCommand() {
    }

    private static String line(ProjectionView p) {
        return String.format("%-16s %-10s generation %d, position %d of %d, lag %d%s%s", p.name(), p.keyspace(), p.generation(),
                p.position(), p.lastPosition(), p.lag(), p.rebuildingGeneration() == null ? ""
                        : "; rebuilding generation " + p.rebuildingGeneration() + " at position " + p.rebuildingPosition(),
                p.error() == null ? "" : "; FAILING: " + p.error());
    }

    @Command(name = "list", description = "Each projection of the region: generation, position, lag, rebuild under way, error.")
    static final class ListProjections extends KvCommand.Action {
        @Override
        int run(MeridianClient client) throws IOException {
            List<ProjectionView> all = client.projections();
            if (json) {
                printJson(all);
            } else if (all.isEmpty()) {
                System.out.println("no projections");
            } else {
                all.forEach(p -> System.out.println(line(p)));
            }
            return 0;
        }
    }

    @Command(name = "show", description = "A stream's state in a projection, as the region has folded it.")
    static final class Show extends KvCommand.Read {
        @Parameters(index = "0", paramLabel = "PROJECTION", description = "the projection, e.g. order-status")
        String projection;

        @Parameters(index = "1", paramLabel = "STREAM", description = "the stream")
        String stream;

        @Override
        int run(MeridianClient client) throws IOException {
            Optional<ProjectionView.StreamState> s = client.projection(projection, stream, options());
            if (s.isEmpty()) {
                System.err.println("error: projection " + projection + " has no state for stream " + stream + " (yet)");
                return 1;
            }
            if (json) {
                printJson(s.get());
            } else {
                System.out.println(projection + "/" + stream + " at version " + s.get().version() + " in " + s.get().region()
                        + ": " + s.get().state());
            }
            return 0;
        }
    }

    @Command(name = "rebuild", description = "Rebuild a projection in the region by replaying its keyspace from the start;"
            + " the current read model serves until the rebuild has caught up.")
    static final class Rebuild extends KvCommand.Action {
        @Parameters(index = "0", paramLabel = "PROJECTION", description = "the projection")
        String projection;

        @Override
        int run(MeridianClient client) throws IOException {
            ProjectionView p = client.rebuildProjection(projection);
            if (json) {
                printJson(p);
            } else {
                System.out.println("rebuilding " + projection + " in generation " + p.rebuildingGeneration()
                        + "; generation " + p.generation() + " serves until it has caught up");
            }
            return 0;
        }
    }
}
