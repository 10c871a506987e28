package io.meridian.replication.strong;

import io.meridian.core.config.HostPort;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.thirdparty.io.grpc.EquivalentAddressGroup;
import org.apache.ratis.thirdparty.io.grpc.NameResolver;
import org.apache.ratis.thirdparty.io.grpc.NameResolverProvider;
import org.apache.ratis.thirdparty.io.grpc.NameResolverRegistry;
import org.apache.ratis.thirdparty.io.grpc.Status;

/**
 * Names consensus peers by region ({@code meridian://eu-west}) and resolves each name, in this
 * process, to the address this region dials that region by.
 *
 * <p>Why: a Raft leader writes its view of the group, peer addresses included, into the log at
 * the start of every term (Ratis's {@code LeaderStateImpl.StartupLogEntry}), and followers adopt
 * it. Real addresses would therefore be the leader's view everywhere; in the lab, where each
 * directed pair of regions has its own WAN link, followers would dial each other through the
 * leader's links. Logical names are the same in every region's view, and each process resolves
 * them through its own links. Ratis dials peers with its shaded gRPC's
 * {@code NettyChannelBuilder.forTarget(address)}, which consults this resolver for the scheme.
 */
public final class RegionAddresses extends NameResolverProvider {
    public static final String SCHEME = "meridian";
    private static final RegionAddresses INSTANCE = new RegionAddresses();
    private static volatile boolean registered;

    private final Map<String, HostPort> addresses = new ConcurrentHashMap<>();

    private RegionAddresses() {
    }

    /** Registers (once per process) and records how this process reaches each region. */
    public static synchronized void use(Map<String, HostPort> byRegion) {
        INSTANCE.addresses.putAll(byRegion);
        if (!registered) {
            NameResolverRegistry.getDefaultRegistry().register(INSTANCE);
            registered = true;
        }
    }

    /** The logical address of a region's consensus endpoint. */
    public static String of(String region) {
        return SCHEME + "://" + region;
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) {
            return null;
        }
        String region = target.getAuthority();
        return new NameResolver() {
            @Override
            public String getServiceAuthority() {
                return region;
            }

            @Override
            public void start(Listener2 listener) {
                HostPort address = addresses.get(region);
                if (address == null) {
                    listener.onError(Status.UNAVAILABLE.withDescription("no consensus address for region " + region));
                    return;
                }
                listener.onResult(ResolutionResult.newBuilder()
                        .setAddresses(List.of(new EquivalentAddressGroup(new InetSocketAddress(address.host(), address.port()))))
                        .build());
            }

            @Override
            public void shutdown() {
            }
        };
    }
}
