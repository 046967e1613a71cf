package dev.olla.cli;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per log line: {@code @timestamp} (ISO-8601 with milliseconds and offset),
 * {@code message}, {@code logger_name}, {@code level}, {@code stack_trace} when there is one, then the
 * event's key/value pairs flat at the top level (numbers and booleans as such). The same lines
 * logstash-logback-encoder wrote with Olla's settings, written with a bare Jackson generator: that
 * encoder created an ObjectMapper (and searched the class path for Jackson modules) at start-up,
 * ~525 classes kept resident for nothing.
 */
final class JsonLineEncoder extends LineEncoder {
    private static final JsonFactory JSON = new JsonFactory();
    private final DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private final ThrowableProxyConverter stackTrace = new ThrowableProxyConverter();

    @Override
    public void start() {
        stackTrace.setContext(getContext());
        stackTrace.start();
        super.start();
    }

    @Override
    public void stop() {
        stackTrace.stop();
        super.stop();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("@timestamp", time.format(Instant.ofEpochMilli(event.getTimeStamp())));
            g.writeStringField("message", event.getFormattedMessage());
            g.writeStringField("logger_name", event.getLoggerName());
            g.writeStringField("level", event.getLevel().toString());
            if (event.getThrowableProxy() != null) {
                g.writeStringField("stack_trace", stackTrace.convert(event));
            }
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs != null) {
                for (KeyValuePair kv : pairs) {
                    if (kv != null && kv.key != null) {
                        g.writeFieldName(kv.key);
                        value(g, kv.value);
                    }
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case BigDecimal d -> g.writeNumber(d);
            case BigInteger i -> g.writeNumber(i);
            case Short s -> g.writeNumber(s);
            case Byte b -> g.writeNumber(b);
            case Boolean b -> g.writeBoolean(b);
            default -> g.writeString(String.valueOf(v));
        }
    }
}
