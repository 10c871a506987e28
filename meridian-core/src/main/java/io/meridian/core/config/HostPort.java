package io.meridian.core.config;

/** A TCP address as configured: {@code host:port}. Port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is blank");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
    }

    /** Parses {@code host:port}; returns null when the text is not of that form. */
    public static HostPort parseOrNull(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        String host = text.substring(0, colon);
        String port = text.substring(colon + 1);
        if (!port.chars().allMatch(Character::isDigit) || port.length() > 5) {
            return null;
        }
        int p = Integer.parseInt(port);
        return p > 65_535 ? null : new HostPort(host, p);
    }

    /**
     * Why this address could not be listened on, for an operator, from the operating system's
     * message: the port is taken, or the host is not an address of this machine.
     *
     * @param purpose what the address is for, e.g. "HTTP" or "replication"
     */
    public String bindFailure(String purpose, String osMessage) {
        String m = osMessage == null ? "" : osMessage.toLowerCase(java.util.Locale.ROOT);
        String why;
        if (m.contains("in use")) {
            why = "the port is in use (another node or program has it; `ss -ltnp 'sport = :" + port + "'` shows which)";
        } else if (m.contains("assign requested address") || m.contains("not available") || m.contains("unresolved")) {
            why = host + " is not an address of this machine (use 127.0.0.1, 0.0.0.0, or one of `ip -brief address`)";
        } else if (m.contains("permission denied") || m.contains("access denied")) {
            why = "permission denied (ports below 1024 need privileges)";
        } else {
            why = osMessage;
        }
        return "cannot listen on " + this + " for " + purpose + ": " + why;
    }

    public String httpUrl() {
        return "http://" + this;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
