// A stock OpenTelemetry Java SDK sending a small trace and a log record to
// the collector over OTLP: `java SendTelemetry http|grpc ENDPOINT`. Prints
// "traceId parentSpanId childSpanId" for the test to look them up.
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.concurrent.TimeUnit;

public final class SendTelemetry {
  public static void main(String[] args) {
    String protocol = args[0];
    String endpoint = args[1];
    boolean grpc = protocol.equals("grpc");
    SpanExporter spans = grpc
        ? OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build()
        : OtlpHttpSpanExporter.builder().setEndpoint(endpoint + "/v1/traces").build();
    LogRecordExporter logs = grpc
        ? OtlpGrpcLogRecordExporter.builder().setEndpoint(endpoint).build()
        : OtlpHttpLogRecordExporter.builder().setEndpoint(endpoint + "/v1/logs").build();
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "java-inventory-" + protocol)));
    SdkTracerProvider tracerProvider = SdkTracerProvider.builder().setResource(resource).addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    SdkLoggerProvider loggerProvider = SdkLoggerProvider.builder().setResource(resource).addLogRecordProcessor(SimpleLogRecordProcessor.create(logs)).build();
    Tracer tracer = tracerProvider.get("inventory");
    Logger logger = loggerProvider.get("inventory");

    Span parent = tracer.spanBuilder("GET /stock/{sku}").setSpanKind(SpanKind.SERVER)
        .setAttribute("http.route", "/stock/{sku}").setAttribute("stock.count", 42L).setAttribute("stock.ratio", 0.5).startSpan();
    Span child;
    try (Scope ignored = parent.makeCurrent()) {
      child = tracer.spanBuilder("SELECT stock").setSpanKind(SpanKind.CLIENT).setAttribute("db.system", "postgresql").startSpan();
      try (Scope ignored2 = child.makeCurrent()) {
        logger.logRecordBuilder().setSeverity(Severity.WARN).setSeverityText("WARN").setBody("stock low for sku 42")
            .setAttribute(AttributeKey.stringKey("sku"), "42").emit();
      }
      child.addEvent("cache miss");
      child.end();
    }
    parent.setStatus(StatusCode.ERROR, "out of stock");
    parent.end();

    tracerProvider.forceFlush().join(10, TimeUnit.SECONDS);
    loggerProvider.forceFlush().join(10, TimeUnit.SECONDS);
    tracerProvider.shutdown().join(10, TimeUnit.SECONDS);
    loggerProvider.shutdown().join(10, TimeUnit.SECONDS);
    System.out.println(parent.getSpanContext().getTraceId() + " " + parent.getSpanContext().getSpanId() + " " + child.getSpanContext().getSpanId());
  }
}
