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

    public String httpUrl() {
        return "http://" + this;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
