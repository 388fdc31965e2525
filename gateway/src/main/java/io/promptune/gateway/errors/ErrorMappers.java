package io.promptune.gateway.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.grpc.StatusRuntimeException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure of a REST call becomes an {@link ErrorBody} with a stable code. */
public class ErrorMappers {

  private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

  static Response respond(ApiError e) {
    return Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body()).build();
  }

  @ServerExceptionMapper(priority = 1)
  public Response apiError(ApiError e) {
    return respond(e);
  }

  @ServerExceptionMapper(priority = 1)
  public Response grpc(StatusRuntimeException e) {
    // Backends wraps calls with the backend's name; a bare one means a call outside it.
    return respond(GrpcErrors.toApiError(e, "backend", "?"));
  }

  @ServerExceptionMapper(priority = 1)
  public Response json(JsonProcessingException e) {
    return respond(JsonErrors.toApiError(e));
  }

  /** Quarkus has its own mapper for this one; ours is as specific and wins on priority. */
  @ServerExceptionMapper(priority = 1)
  public Response mismatched(MismatchedInputException e) {
    return respond(JsonErrors.toApiError(e));
  }

  @ServerExceptionMapper(priority = 1)
  public Response web(WebApplicationException e, jakarta.ws.rs.core.UriInfo uri,
      jakarta.ws.rs.core.Request request) {
    if (e.getCause() instanceof JsonProcessingException j) {
      return respond(JsonErrors.toApiError(j));
    }
    if (e.getCause() instanceof ApiError a) {
      return respond(a);
    }
    int status = e.getResponse().getStatus();
    ApiError mapped;
    if (e instanceof NotFoundException) {
      String path = "/" + uri.getPath().replaceFirst("^/", "");
      mapped = new ApiError(404, "NOT_FOUND", "No such endpoint: " + request.getMethod() + " " + path + ". The API "
          + "is under /v1 (see /q/openapi); the console is at /console/.", Map.of("path", path));
    } else if (e instanceof NotAllowedException) {
      String allowed = String.join(", ", e.getResponse().getAllowedMethods());
      mapped = new ApiError(405, "METHOD_NOT_ALLOWED", "This endpoint does not accept " + request.getMethod()
          + (allowed.isEmpty() ? " (see /q/openapi)." : "; use " + allowed + "."),
          allowed.isEmpty() ? Map.of() : Map.of("allowed", allowed));
    } else if (e instanceof NotSupportedException) {
      mapped = new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "This endpoint does not accept that Content-Type; send "
          + "application/json (dataset uploads: multipart/form-data or the file itself).");
    } else if (e instanceof NotAcceptableException) {
      mapped = new ApiError(406, "NOT_ACCEPTABLE", "This endpoint cannot answer in the media type the Accept header "
          + "asks for; accept application/json (job streams: text/event-stream).");
    } else if (status == 413) {
      mapped = new ApiError(413, "REQUEST_TOO_LARGE", "The request body is larger than this gateway accepts.");
    } else if (status == 400) {
      mapped = ApiError.badRequest(e.getMessage() == null ? "Bad request." : e.getMessage());
    } else if (status >= 500) {
      return internal(e);
    } else {
      mapped = new ApiError(status, "HTTP_" + status, e.getMessage() == null ? "HTTP " + status : e.getMessage());
    }
    return respond(mapped);
  }

  @ServerExceptionMapper(priority = 10)
  public Response internal(Throwable e) {
    if (e instanceof ApiError a) {
      return respond(a);
    }
    String id = UUID.randomUUID().toString().substring(0, 8);
    LOG.errorf(e, "internal error %s", id);
    return respond(new ApiError(500, "INTERNAL", "The gateway failed unexpectedly (error id " + id
        + "); the gateway log has the details.", Map.of("error_id", id)));
  }

  /** Jackson's complaints about a request body, in words a person can act on. */
  static final class JsonErrors {
    private JsonErrors() {}

    static ApiError toApiError(JsonProcessingException e) {
      if (e instanceof UnrecognizedPropertyException u) {
        String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream().map(Object::toString)
            .sorted().collect(Collectors.joining(", "));
        return new ApiError(400, "INVALID_ARGUMENT", "Unknown field '" + path(u) + "'"
            + (known.isEmpty() ? "." : "; known fields here: " + known + "."), Map.of("field", path(u)));
      }
      if (e instanceof ValueInstantiationException v && v.getCause() instanceof ApiError a) {
        return a;
      }
      if (e instanceof ValueInstantiationException v && v.getCause() != null) {
        return new ApiError(400, "INVALID_ARGUMENT", v.getCause().getMessage(), Map.of("field", path(v)));
      }
      if (e instanceof InvalidFormatException f) {
        return new ApiError(400, "INVALID_ARGUMENT", "Field '" + path(f) + "' has the wrong value '" + f.getValue()
            + "' (expected " + simple(f.getTargetType()) + ").", Map.of("field", path(f)));
      }
      if (e instanceof MismatchedInputException m) {
        String p = path(m);
        return new ApiError(400, "INVALID_ARGUMENT", (p.isEmpty() ? "The request body" : "Field '" + p + "'")
            + " has the wrong type (expected " + simple(m.getTargetType()) + ").", p.isEmpty() ? Map.of()
            : Map.of("field", p));
      }
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr();
      return new ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON" + where + ": "
          + e.getOriginalMessage(), Map.of());
    }

    private static String simple(Class<?> c) {
      if (c == null) {
        return "another type";
      }
      if (c.isEnum()) {
        return "one of " + java.util.Arrays.stream(c.getEnumConstants()).map(Object::toString)
            .map(s -> s.toLowerCase(java.util.Locale.ROOT)).collect(Collectors.joining(", "));
      }
      if (Number.class.isAssignableFrom(c) || c.isPrimitive() && c != boolean.class) {
        return "a number";
      }
      if (c == String.class) {
        return "a string";
      }
      if (c == Boolean.class || c == boolean.class) {
        return "true or false";
      }
      if (java.util.Collection.class.isAssignableFrom(c)) {
        return "an array";
      }
      if (Map.class.isAssignableFrom(c)) {
        return "an object";
      }
      return "an object";
    }

    private static String path(JsonMappingException e) {
      StringBuilder sb = new StringBuilder();
      for (JsonMappingException.Reference r : e.getPath()) {
        if (r.getFieldName() != null) {
          if (!sb.isEmpty()) {
            sb.append('.');
          }
          sb.append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          sb.append('[').append(r.getIndex()).append(']');
        }
      }
      return sb.toString();
    }
  }
}
