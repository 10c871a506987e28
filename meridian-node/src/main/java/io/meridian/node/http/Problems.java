package io.meridian.node.http;

import io.meridian.core.ProblemType;
import java.util.LinkedHashMap;
import java.util.Map;

/** RFC 9457 problem documents: type, title, status, detail, instance, then Meridian's members. */
final class Problems {
    private Problems() {
    }

    static byte[] render(ProblemType type, String detail, String instance, String region, Map<String, Object> extensions) {
        return render(type, type.status(), detail, instance, region, extensions);
    }

    /** With the HTTP status the answer really has, when it is not the type's own (Jetty's 417 for a bogus Expect). */
    static byte[] render(ProblemType type, int status, String detail, String instance, String region, Map<String, Object> extensions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type.uri());
        body.put("title", type.title());
        body.put("status", status);
        body.put("detail", detail);
        if (instance != null) {
            body.put("instance", instance);
        }
        body.put("region", region);
        extensions.forEach(body::putIfAbsent);
        return Json.bytes(body);
    }
}
