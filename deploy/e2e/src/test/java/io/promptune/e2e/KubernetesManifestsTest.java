package io.promptune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests (deploy/kubernetes: a kustomize base, the cloudnative-pg component and the cpu and gpu
 * overlays), checked without a cluster: every file is read strictly with the fabric8 model (a field the model does
 * not know fails, CRDs are checked field by field), each overlay is rendered (a small kustomize: resources,
 * components, strategic-merge patches, images, namespace; compared with {@code kubectl kustomize} where kubectl is
 * installed) and its wiring checked: selectors, ports, probes, requests, pinned images, env names the services
 * really read, the KEDA query against the trainer's Flyway schema, the database Secret, network policies.
 */
class KubernetesManifestsTest {

  static final Path ROOT = Path.of(System.getProperty("promptune.root", "../..")).toAbsolutePath().normalize();
  static final Path K8S = ROOT.resolve("deploy/kubernetes");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> CRD_KINDS = Set.of("ScaledObject", "TriggerAuthentication", "Cluster");
  /** Container name → the module whose application.properties (and sources) define what it reads. */
  static final Map<String, String> MODULES = Map.of("model-runtime", "model-runtime", "prompt-registry",
      "prompt-registry", "trainer-service", "trainer-service", "gateway", "gateway");

  // ---------------------------------------------------------------- every file, strictly

  @Test
  void everyManifestFileReadsStrictlyWithTheFabric8Model() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(K8S)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 10, files.toString());
    for (Path f : files) {
      for (ObjectNode doc : readDocs(f)) {
        String kind = doc.path("kind").asText();
        assertFalse(kind.isEmpty(), f + ": a document without kind");
        if (kind.equals("Kustomization") || kind.equals("Component")) {
          checkKeys(f + " " + kind, doc, Set.of("apiVersion", "kind", "namespace", "resources", "components",
              "patches", "images"));
          continue;
        }
        if (CRD_KINDS.contains(kind)) {
          checkCustomResource(f.toString(), doc);
          continue;
        }
        KubernetesResource r = Serialization.unmarshal(JSON.writeValueAsString(doc), KubernetesResource.class);
        assertFalse(r instanceof GenericKubernetesResource, f + ": " + kind + " is no known Kubernetes kind");
        List<String> unknown = new ArrayList<>();
        unknownFields(r, kind, unknown, new IdentityHashMap<>());
        assertEquals(List.of(), unknown, f + ": fields the Kubernetes API does not have");
      }
    }
  }

  /** Fields that fabric8 put into an {@code additionalProperties} map: names the schema does not know. */
  private static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    if (o instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        unknownFields(l.get(i), path + "[" + i + "]", out, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || g.getName().equals("getClass")) {
        continue;
      }
      try {
        Object v = g.invoke(o);
        if (g.getName().equals("getAdditionalProperties")) {
          if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
            out.add(path + ": " + extra.keySet());
          }
        } else {
          unknownFields(v, path + "." + g.getName().substring(3), out, seen);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** KEDA and CloudNativePG objects: GenericKubernetesResource plus the fields (and only those) used here. */
  private static void checkCustomResource(String where, ObjectNode doc) throws IOException {
    GenericKubernetesResource r = Serialization.unmarshal(JSON.writeValueAsString(doc),
        GenericKubernetesResource.class);
    String kind = r.getKind();
    JsonNode spec = doc.path("spec");
    switch (kind) {
      case "ScaledObject" -> {
        assertEquals("keda.sh/v1alpha1", r.getApiVersion(), where);
        checkKeys(where, spec, Set.of("scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
            "cooldownPeriod", "triggers"));
        for (JsonNode t : spec.path("triggers")) {
          checkKeys(where + " trigger", t, Set.of("type", "metadata", "authenticationRef"));
          if (t.path("type").asText().equals("postgresql")) {
            checkKeys(where + " postgresql trigger", t.path("metadata"), Set.of("query", "targetQueryValue",
                "activationTargetQueryValue", "host", "port", "dbName", "userName", "sslmode", "connectionFromEnv",
                "passwordFromEnv"));
            t.path("metadata").forEach(v -> assertTrue(v.isTextual(), where + ": KEDA metadata values are strings"));
          }
        }
      }
      case "TriggerAuthentication" -> {
        assertEquals("keda.sh/v1alpha1", r.getApiVersion(), where);
        checkKeys(where, spec, Set.of("secretTargetRef"));
        for (JsonNode s : spec.path("secretTargetRef")) {
          checkKeys(where, s, Set.of("parameter", "name", "key"));
        }
      }
      case "Cluster" -> {
        assertEquals("postgresql.cnpg.io/v1", r.getApiVersion(), where);
        checkKeys(where, spec, Set.of("instances", "imageName", "bootstrap", "storage", "resources", "postgresql",
            "enablePDB"));
        checkKeys(where, spec.path("bootstrap"), Set.of("initdb"));
        checkKeys(where, spec.path("bootstrap").path("initdb"), Set.of("database", "owner", "secret"));
        assertTrue(spec.path("instances").isInt() && spec.path("instances").asInt() >= 1, where);
        assertTrue(spec.path("storage").path("size").isTextual(), where + ": storage.size");
        assertPinned(where, spec.path("imageName").asText());
      }
      default -> fail("unexpected custom resource " + kind);
    }
  }

  private static void checkKeys(String where, JsonNode node, Set<String> allowed) {
    assertTrue(node.isObject(), where + ": not an object: " + node);
    node.fieldNames().forEachRemaining(f -> assertTrue(allowed.contains(f), where + ": unexpected field '" + f
        + "' (known here: " + new TreeSet<>(allowed) + ")"));
  }

  // ---------------------------------------------------------------- the overlays' wiring

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "gpu"})
  void overlayWiring(String overlay) throws IOException {
    Rendered r = new Rendered(Kustomize.render(K8S.resolve("overlays").resolve(overlay)));
    assertEquals(Set.of("model-runtime", "prompt-registry", "trainer-service", "gateway"),
        r.deployments.keySet());
    r.all.forEach(o -> assertEquals("promptune", o.getMetadata().getNamespace(), o.getKind() + " "
        + o.getMetadata().getName()));

    for (Deployment d : r.deployments.values()) {
      String name = d.getMetadata().getName();
      Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
      assertTrue(subset(d.getSpec().getSelector().getMatchLabels(), labels), name + ": selector misses its pods");
      for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
        String where = name + "/" + c.getName();
        assertPinned(where, c.getImage());
        assertNotNull(c.getResources().getRequests(), where + ": no resource requests");
        assertTrue(c.getResources().getRequests().containsKey("cpu") && c.getResources().getRequests()
            .containsKey("memory"), where + ": cpu and memory requests");
        assertNotNull(c.getReadinessProbe(), where + ": readiness probe");
        assertNotNull(c.getLivenessProbe(), where + ": liveness probe");
        assertNotNull(c.getStartupProbe(), where + ": startup probe");
        for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
          assertProbeTargetsAPort(where, c, p);
        }
        assertEquals(c.getReadinessProbe().getGrpc().getService(), c.getStartupProbe().getGrpc().getService(),
            where + ": startup and readiness ask the same gRPC health service");
        checkEnvironment(d, c);
        checkKeyMounts(d, c);
      }
    }

    // Services: selectors match a Deployment's pods; ports exist on its containers; the runtime's and the trainers'
    // are headless.
    for (Service s : r.services.values()) {
      Deployment d = r.selectedBy(s.getSpec().getSelector(), "Service " + s.getMetadata().getName());
      for (ServicePort p : s.getSpec().getPorts()) {
        ContainerPort target = containerPort(d, p.getTargetPort());
        assertNotNull(target, "Service " + s.getMetadata().getName() + " port " + p.getName() + ": no container"
            + " port " + p.getTargetPort());
        if ("None".equals(s.getSpec().getClusterIP())) {
          assertEquals(target.getContainerPort(), p.getPort(), "headless Service " + s.getMetadata().getName()
              + ": clients dial the pods on the Service's port number");
        }
      }
    }
    Service runtimeService = r.services.get("model-runtime");
    assertEquals("None", runtimeService.getSpec().getClusterIP(), "the runtime's Service is headless");
    ConfigMap cm = r.configMaps.get("promptune");
    assertEquals("model-runtime", cm.getData().get("PROMPTUNE_RUNTIME_HOST"));
    assertEquals("9101", cm.getData().get("PROMPTUNE_RUNTIME_PORT"));
    assertFalse(cm.getData().containsKey("PROMPTUNE_RUNTIME_TARGETS"), "on Kubernetes the pool resolves the "
        + "headless name; a static list would miss new pods");
    assertEquals("prompt-registry", cm.getData().get("PROMPTUNE_REGISTRY_HOST"));
    assertTrue(r.services.containsKey(cm.getData().get("PROMPTUNE_TRAINER_HOST")));
    // The gateway's trainer pool dials the trainers' headless name, re-resolved, so every trainer pod gets calls.
    Service trainerService = r.services.get(cm.getData().get("PROMPTUNE_TRAINER_HOST"));
    assertEquals("None", trainerService.getSpec().getClusterIP(), "the trainers' Service is headless");
    assertEquals(trainerService.getMetadata().getName() + ":" + cm.getData().get("PROMPTUNE_TRAINER_PORT"),
        cm.getData().get("PROMPTUNE_TRAINER_TARGETS"), "the gateway's trainer pool targets the headless Service");
    for (String key : cm.getData().keySet()) {
      boolean read = false;
      for (Deployment d : r.deployments.values()) {
        for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
          boolean imports = c.getEnvFrom().stream().anyMatch(f -> f.getConfigMapRef() != null
              && f.getConfigMapRef().getName().equals(cm.getMetadata().getName()));
          read |= imports && ConfigNames.of(MODULES.get(c.getName())).contains(key);
        }
      }
      assertTrue(read, "ConfigMap key " + key + " is read by none of the services that import it");
    }

    // The runtime: model loading covered by the startup probe, a cache volume, GPUs only in the GPU overlay.
    Container runtime = r.container("model-runtime");
    Probe startup = runtime.getStartupProbe();
    assertTrue(startup.getPeriodSeconds() * startup.getFailureThreshold() >= 600, "the startup probe must give "
        + "the model at least 10 minutes to load: " + startup);
    assertEquals("promptune.v1.ModelRuntime", runtime.getReadinessProbe().getGrpc().getService());
    String cacheDir = env(runtime, "PROMPTUNE_RUNTIME_CACHE_DIR");
    VolumeMount cacheMount = runtime.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(cacheDir))
        .findFirst().orElseThrow(() -> new AssertionError("no volume at the model cache " + cacheDir));
    Volume cache = r.volume("model-runtime", cacheMount.getName());
    boolean gpu = overlay.equals("gpu");
    var requests = runtime.getResources().getRequests();
    var limits = runtime.getResources().getLimits();
    assertEquals(gpu, requests.containsKey("nvidia.com/gpu"), "nvidia.com/gpu requests");
    if (gpu) {
      assertEquals(requests.get("nvidia.com/gpu"), limits.get("nvidia.com/gpu"), "GPU request = limit");
      assertEquals("gpu", env(runtime, "PROMPTUNE_RUNTIME_DEVICE"));
      assertNotNull(cache.getPersistentVolumeClaim(), "GPU runtimes share one model cache claim");
      assertTrue(cache.getEmptyDir() == null, "the patch replaces the emptyDir");
      assertTrue(r.all.stream().anyMatch(o -> o.getKind().equals("PersistentVolumeClaim") && o.getMetadata()
          .getName().equals(cache.getPersistentVolumeClaim().getClaimName())), "the cache claim exists");
    } else {
      assertNotNull(cache.getEmptyDir(), "CPU runtimes cache in an emptyDir");
      String threads = env(runtime, "PROMPTUNE_RUNTIME_THREADS");
      assertEquals(requests.get("cpu").getAmount(), threads, "PyTorch threads = the runtime's CPU request");
    }

    // Disruption budgets: registry and gateway run two replicas and keep one.
    for (String n : List.of("prompt-registry", "gateway")) {
      PodDisruptionBudget pdb = r.pdbs.get(n);
      assertNotNull(pdb, n + ": no PodDisruptionBudget");
      Deployment d = r.selectedBy(pdb.getSpec().getSelector().getMatchLabels(), "PDB " + n);
      assertEquals(n, d.getMetadata().getName());
      assertTrue(d.getSpec().getReplicas() >= 2, n + " replicas");
      assertTrue(pdb.getSpec().getMinAvailable().getIntVal() < d.getSpec().getReplicas(), n + ": a budget of "
          + "all replicas blocks every drain");
    }

    // Ingress: to the gateway's HTTP port.
    Ingress ing = r.ingresses.get("gateway");
    var backend = ing.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService();
    Service gw = r.services.get(backend.getName());
    assertNotNull(gw, "Ingress backend Service " + backend.getName());
    assertTrue(gw.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(backend.getPort().getName())),
        "Ingress backend port " + backend.getPort().getName());
    assertEquals(8080, containerPort(r.deployments.get("gateway"), new IntOrString(backend.getPort().getName()))
        .getContainerPort());
    assertFalse(ing.getSpec().getTls().isEmpty(), "the Ingress terminates TLS");

    checkNetworkPolicies(r);
    checkKedaAndDatabase(r);
  }

  /** Env names the container sets (explicitly or from the ConfigMap) are names its service reads. */
  private static void checkEnvironment(Deployment d, Container c) throws IOException {
    Set<String> known = ConfigNames.of(MODULES.get(c.getName()));
    for (EnvVar e : c.getEnv()) {
      assertTrue(known.contains(e.getName()), d.getMetadata().getName() + ": " + e.getName() + " is read by no"
          + " configuration key of " + c.getName());
    }
  }

  private static void checkKeyMounts(Deployment d, Container c) {
    String svc = Map.of("model-runtime", "runtime", "prompt-registry", "registry", "trainer-service", "trainer",
        "gateway", "gateway").get(c.getName());
    Map<String, String> mounts = new HashMap<>();
    for (VolumeMount m : c.getVolumeMounts()) {
      Volume v = d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(x -> x.getName().equals(m
          .getName())).findFirst().orElseThrow(() -> new AssertionError(c.getName() + ": mount of no volume "
              + m.getName()));
      if (v.getSecret() != null) {
        mounts.put(m.getMountPath(), v.getSecret().getSecretName());
      }
    }
    assertEquals("promptune-api-keys", mounts.get(parent(env(c, "PROMPTUNE_AUTH_KEY_FILES"))), c.getName());
    assertEquals("promptune-service-key-" + svc, mounts.get(parent(env(c, "PROMPTUNE_SERVICE_KEY_FILE"))),
        c.getName());
    assertEquals("promptune-tls-" + svc, mounts.get("/etc/promptune/tls"), c.getName() + ": TLS Secret mount");
  }

  private static void checkNetworkPolicies(Rendered r) {
    assertTrue(r.policies.values().stream().anyMatch(p -> isEmpty(p.getSpec().getPodSelector().getMatchLabels())
        && isEmpty(p.getSpec().getPodSelector().getMatchExpressions())
        && p.getSpec().getPolicyTypes().contains("Ingress") && p.getSpec().getIngress().isEmpty()),
        "a default deny of ingress");
    Map<String, Set<String>> expected = Map.of(
        "model-runtime", Set.of("gateway", "trainer-service"),
        "prompt-registry", Set.of("gateway", "trainer-service", "model-runtime"),
        "trainer-service", Set.of("gateway"));
    for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
      Deployment target = r.deployments.get(e.getKey());
      int grpcPort = containerPort(target, new IntOrString("grpc")).getContainerPort();
      Set<String> from = new TreeSet<>();
      for (NetworkPolicy p : r.policies.values()) {
        Map<String, String> sel = p.getSpec().getPodSelector().getMatchLabels();
        if (isEmpty(sel) || !subset(sel, target.getSpec().getTemplate().getMetadata().getLabels())) {
          continue;
        }
        for (NetworkPolicyIngressRule rule : p.getSpec().getIngress()) {
          boolean coversGrpc = rule.getPorts().isEmpty() || rule.getPorts().stream().anyMatch(pp -> pp.getPort()
              .getIntVal() != null && pp.getPort().getIntVal() == grpcPort);
          for (NetworkPolicyPeer peer : rule.getFrom()) {
            if (!coversGrpc) {
              continue;
            }
            assertTrue(peer.getNamespaceSelector() == null || peer.getPodSelector() != null, "policy "
                + p.getMetadata().getName() + " opens " + e.getKey() + "'s gRPC port to a whole namespace");
            if (peer.getPodSelector() != null) {
              from.add(r.selectedBy(peer.getPodSelector().getMatchLabels(), "policy " + p.getMetadata().getName())
                  .getMetadata().getName());
            }
          }
        }
        for (NetworkPolicyIngressRule rule : p.getSpec().getIngress()) {
          rule.getPorts().forEach(pp -> assertNotNull(containerPort(target, pp.getPort()), "policy "
              + p.getMetadata().getName() + " names port " + pp.getPort() + " that " + e.getKey() + " lacks"));
        }
      }
      assertEquals(new TreeSet<>(e.getValue()), from, "who reaches " + e.getKey() + "'s gRPC port");
    }
  }

  private static void checkKedaAndDatabase(Rendered r) throws IOException {
    GenericKubernetesResource so = r.custom("ScaledObject", "trainer-service");
    JsonNode spec = JSON.valueToTree(so.getAdditionalProperties().get("spec"));
    assertEquals("trainer-service", spec.path("scaleTargetRef").path("name").asText());
    assertTrue(r.deployments.containsKey("trainer-service"));
    JsonNode trigger = spec.path("triggers").get(0);
    assertEquals("postgresql", trigger.path("type").asText());
    JsonNode meta = trigger.path("metadata");

    // The query counts queued and running jobs in the table the trainer's migrations create.
    Matcher q = Pattern.compile("(?i)^SELECT count\\(\\*\\) FROM (\\w+)\\.(\\w+) WHERE (\\w+) IN \\(([^)]*)\\)$")
        .matcher(meta.path("query").asText());
    assertTrue(q.matches(), "query: " + meta.path("query").asText());
    FlywayTable table = FlywayTable.read(q.group(1), q.group(2));
    assertTrue(table.columns.containsKey(q.group(3)), "column " + q.group(3) + " of " + table.name);
    Set<String> states = new TreeSet<>();
    for (String s : q.group(4).split(",")) {
      states.add(s.trim().replace("'", ""));
    }
    assertEquals(Set.of("QUEUED", "RUNNING"), states);
    assertTrue(table.checkValues(q.group(3)).containsAll(states), "states the table allows: "
        + table.checkValues(q.group(3)));
    assertEquals(env(r.container("trainer-service"), "PROMPTUNE_TRAINER_WORKER_CONCURRENCY"),
        meta.path("targetQueryValue").asText(), "one replica per targetQueryValue jobs = its worker concurrency");

    // Its credentials and the services' come from the same Secret: the CloudNativePG cluster's application one.
    GenericKubernetesResource cluster = r.all.stream().filter(o -> o.getKind().equals("Cluster"))
        .map(o -> (GenericKubernetesResource) o).findFirst().orElseThrow(() -> new AssertionError("no Cluster"));
    String clusterName = cluster.getMetadata().getName();
    JsonNode initdb = JSON.valueToTree(cluster.getAdditionalProperties().get("spec")).path("bootstrap")
        .path("initdb");
    assertEquals(clusterName + "-rw." + cluster.getMetadata().getNamespace() + ".svc.cluster.local",
        meta.path("host").asText(), "KEDA (another namespace) reaches the cluster's read-write Service");
    assertEquals(initdb.path("database").asText(), meta.path("dbName").asText());
    assertEquals(initdb.path("owner").asText(), meta.path("userName").asText());
    GenericKubernetesResource auth = r.custom("TriggerAuthentication", trigger.path("authenticationRef")
        .path("name").asText());
    JsonNode refs = JSON.valueToTree(auth.getAdditionalProperties().get("spec")).path("secretTargetRef");
    String appSecret = clusterName + "-app";
    refs.forEach(ref -> assertEquals(appSecret, ref.path("name").asText(), "KEDA's password Secret"));
    assertTrue(refs.findValuesAsText("parameter").contains("password"));
    for (String svc : List.of("prompt-registry", "trainer-service")) {
      Container c = r.container(svc);
      for (String var : List.of("PROMPTUNE_DB_URL", "PROMPTUNE_DB_USER", "PROMPTUNE_DB_PASSWORD")) {
        EnvVar e = c.getEnv().stream().filter(x -> x.getName().equals(var)).findFirst().orElseThrow(
            () -> new AssertionError(svc + " lacks " + var));
        assertEquals(appSecret, e.getValueFrom().getSecretKeyRef().getName(), svc + " " + var);
      }
    }
  }

  // ---------------------------------------------------------------- kustomize

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "gpu"})
  void renderingAgreesWithKubectlKustomize(String overlay) throws Exception {
    Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(d -> Path.of(d, "kubectl"))
        .filter(Files::isExecutable).findFirst().orElse(null);
    Assumptions.assumeTrue(kubectl != null, "kubectl is not installed; the renderer is checked by the wiring test");
    Process p = new ProcessBuilder(kubectl.toString(), "kustomize", K8S.resolve("overlays").resolve(overlay)
        .toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    Map<String, JsonNode> theirs = byKindAndName(docs(out));
    Map<String, JsonNode> ours = byKindAndName(Kustomize.render(K8S.resolve("overlays").resolve(overlay)));
    assertEquals(theirs.keySet(), ours.keySet());
    for (String k : theirs.keySet()) {
      assertEquals(theirs.get(k), ours.get(k), k);
    }
  }

  private static Map<String, JsonNode> byKindAndName(List<ObjectNode> docs) {
    Map<String, JsonNode> m = new java.util.TreeMap<>();
    docs.forEach(d -> m.put(d.path("kind").asText() + "/" + d.path("metadata").path("name").asText(), d));
    return m;
  }

  /**
   * The subset of kustomize these manifests use: resources (files and directories), components, strategic-merge
   * patches by kind and name (maps merge, a null deletes, containers/env/volumes/volumeMounts/ports merge by their
   * key, other lists are replaced), images (newTag/newName) and namespace.
   */
  static final class Kustomize {
    static final Map<String, String> MERGE_KEYS = Map.of("containers", "name", "initContainers", "name", "env",
        "name", "volumes", "name", "volumeMounts", "mountPath", "ports", "containerPort", "imagePullSecrets", "name");

    static List<ObjectNode> render(Path dir) throws IOException {
      ObjectNode k = readDocs(dir.resolve("kustomization.yaml")).get(0);
      List<ObjectNode> out = new ArrayList<>();
      for (JsonNode res : k.path("resources")) {
        Path p = dir.resolve(res.asText()).normalize();
        out.addAll(Files.isDirectory(p) ? render(p) : readDocs(p));
      }
      for (JsonNode comp : k.path("components")) {
        Path c = dir.resolve(comp.asText()).normalize();
        ObjectNode ck = readDocs(c.resolve("kustomization.yaml")).get(0);
        assertEquals("Component", ck.path("kind").asText(), c + " is not a Component");
        out.addAll(render(c));
      }
      for (JsonNode patch : k.path("patches")) {
        for (ObjectNode pd : readDocs(dir.resolve(patch.path("path").asText()))) {
          ObjectNode target = out.stream().filter(o -> o.path("kind").equals(pd.path("kind"))
              && o.path("metadata").path("name").equals(pd.path("metadata").path("name"))).findFirst()
              .orElseThrow(() -> new AssertionError("patch " + patch + " targets nothing"));
          merge(target, pd, "");
        }
      }
      for (JsonNode img : k.path("images")) {
        for (ObjectNode o : out) {
          for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
            String image = c.path("image").asText();
            String name = image.contains(":") ? image.substring(0, image.lastIndexOf(':')) : image;
            if (name.equals(img.path("name").asText())) {
              String newName = img.path("newName").asText(name);
              String tag = img.has("newTag") ? img.path("newTag").asText() : image.substring(name.length() + 1);
              ((ObjectNode) c).put("image", newName + ":" + tag);
            }
          }
        }
      }
      if (k.has("namespace")) {
        out.forEach(o -> ((ObjectNode) o.path("metadata")).put("namespace", k.path("namespace").asText()));
      }
      return out;
    }

    static void merge(ObjectNode target, JsonNode patch, String path) {
      for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        JsonNode have = target.get(f.getKey());
        JsonNode want = f.getValue();
        if (want.isNull()) {
          target.remove(f.getKey());
        } else if (have != null && have.isObject() && want.isObject()) {
          merge((ObjectNode) have, want, path + "." + f.getKey());
        } else if (have != null && have.isArray() && want.isArray() && MERGE_KEYS.containsKey(f.getKey())) {
          // as kustomize orders them: the patch's items first (merged into their match), then the others
          String key = MERGE_KEYS.get(f.getKey());
          ArrayNode merged = JSON.createArrayNode();
          List<JsonNode> rest = new ArrayList<>();
          have.forEach(rest::add);
          for (JsonNode item : want) {
            ObjectNode match = null;
            for (JsonNode h : rest) {
              if (h.path(key).equals(item.path(key))) {
                match = (ObjectNode) h;
              }
            }
            if (match != null) {
              rest.remove(match);
              merge(match, item, path + "." + f.getKey());
              merged.add(match);
            } else {
              merged.add(item.deepCopy());
            }
          }
          rest.forEach(merged::add);
          target.set(f.getKey(), merged);
        } else {
          target.set(f.getKey(), want.deepCopy());
        }
      }
    }
  }

  // ---------------------------------------------------------------- what the services read

  /**
   * Environment variable names a module's configuration reads: every {@code ${NAME...}} its application.properties
   * expands, every key it sets or documents there ({@code #key=} lines), and service-common's, in SmallRye's
   * environment form (upper case, every character that is not a letter or digit an underscore); plus variables the
   * sources read directly with {@code System.getenv("...")}.
   */
  static final class ConfigNames {
    private static final Map<String, Set<String>> CACHE = new HashMap<>();
    private static final Pattern REF = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)[:}]");
    private static final Pattern KEY = Pattern.compile("^#?\\s*((?:quarkus|promptune)\\.[A-Za-z0-9.\\-\"_]+)\\s*=");
    private static final Pattern GETENV = Pattern.compile("getenv\\(\"([A-Z][A-Z0-9_]*)\"\\)");

    static synchronized Set<String> of(String module) throws IOException {
      if (CACHE.containsKey(module)) {
        return CACHE.get(module);
      }
      Set<String> names = new TreeSet<>();
      for (String m : List.of(module, "service-common")) {
        Path props = ROOT.resolve(m).resolve("src/main/resources/application.properties");
        if (Files.exists(props)) {
          for (String line : Files.readAllLines(props)) {
            Matcher ref = REF.matcher(line);
            while (ref.find()) {
              names.add(ref.group(1));
            }
            Matcher key = KEY.matcher(line.trim());
            if (key.find()) {
              names.add(key.group(1).replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
            }
          }
        }
        try (Stream<Path> src = Files.walk(ROOT.resolve(m).resolve("src/main/java"))) {
          for (Path f : src.filter(p -> p.toString().endsWith(".java")).toList()) {
            Matcher g = GETENV.matcher(Files.readString(f));
            while (g.find()) {
              names.add(g.group(1));
            }
          }
        }
      }
      CACHE.put(module, names);
      return names;
    }
  }

  /** A table of a Flyway migration (trainer-service's db/migration/trainer): its columns and CHECK lists. */
  record FlywayTable(String name, Map<String, String> columns) {
    static FlywayTable read(String schema, String table) throws IOException {
      Path dir = ROOT.resolve("trainer-service/src/main/resources/db/migration").resolve(schema);
      StringBuilder all = new StringBuilder();
      try (Stream<Path> s = Files.list(dir)) {
        for (Path f : s.filter(p -> p.toString().endsWith(".sql")).sorted().toList()) {
          all.append(Files.readString(f)).append('\n');
        }
      }
      Matcher m = Pattern.compile("CREATE TABLE " + schema + "\\." + table + " \\((.*?)\\n\\);", Pattern.DOTALL)
          .matcher(all);
      assertTrue(m.find(), "no CREATE TABLE " + schema + "." + table + " in " + dir);
      Map<String, String> cols = new LinkedHashMap<>();
      for (String line : m.group(1).split("\\n")) {
        Matcher c = Pattern.compile("^\\s+([a-z_]+)\\s+(\\S.*?),?$").matcher(line);
        if (c.find() && !c.group(1).equals("CHECK")) {
          cols.put(c.group(1), c.group(2));
        }
      }
      return new FlywayTable(schema + "." + table, cols);
    }

    Set<String> checkValues(String column) {
      Matcher m = Pattern.compile("CHECK \\(" + column + " IN \\(([^)]*)\\)\\)").matcher(columns.get(column));
      assertTrue(m.find(), column + " has no CHECK list: " + columns.get(column));
      Set<String> v = new TreeSet<>();
      for (String s : m.group(1).split(",")) {
        v.add(s.trim().replace("'", ""));
      }
      return v;
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The rendered objects, typed. */
  static final class Rendered {
    final List<HasMetadata> all = new ArrayList<>();
    final Map<String, Deployment> deployments = new LinkedHashMap<>();
    final Map<String, Service> services = new LinkedHashMap<>();
    final Map<String, ConfigMap> configMaps = new LinkedHashMap<>();
    final Map<String, PodDisruptionBudget> pdbs = new LinkedHashMap<>();
    final Map<String, Ingress> ingresses = new LinkedHashMap<>();
    final Map<String, NetworkPolicy> policies = new LinkedHashMap<>();

    Rendered(List<ObjectNode> docs) throws IOException {
      for (ObjectNode d : docs) {
        String json = JSON.writeValueAsString(d);
        HasMetadata o = CRD_KINDS.contains(d.path("kind").asText())
            ? Serialization.unmarshal(json, GenericKubernetesResource.class)
            : (HasMetadata) Serialization.unmarshal(json, KubernetesResource.class);
        all.add(o);
        String n = o.getMetadata().getName();
        switch (o) {
          case Deployment x -> deployments.put(n, x);
          case Service x -> services.put(n, x);
          case ConfigMap x -> configMaps.put(n, x);
          case PodDisruptionBudget x -> pdbs.put(n, x);
          case Ingress x -> ingresses.put(n, x);
          case NetworkPolicy x -> policies.put(n, x);
          default -> { }
        }
      }
    }

    Deployment selectedBy(Map<String, String> selector, String who) {
      List<Deployment> hit = deployments.values().stream().filter(d -> subset(selector, d.getSpec().getTemplate()
          .getMetadata().getLabels())).toList();
      assertEquals(1, hit.size(), who + " selects " + selector + ": " + hit.stream().map(d -> d.getMetadata()
          .getName()).toList());
      return hit.get(0);
    }

    Container container(String deployment) {
      return deployments.get(deployment).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    Volume volume(String deployment, String name) {
      return deployments.get(deployment).getSpec().getTemplate().getSpec().getVolumes().stream()
          .filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    GenericKubernetesResource custom(String kind, String name) {
      return all.stream().filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name))
          .map(o -> (GenericKubernetesResource) o).findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }
  }

  private static void assertProbeTargetsAPort(String where, Container c, Probe p) {
    IntOrString port = p.getGrpc() != null ? new IntOrString(p.getGrpc().getPort())
        : p.getHttpGet() != null ? p.getHttpGet().getPort() : null;
    assertNotNull(port, where + ": probe without gRPC or HTTP target");
    assertNotNull(containerPort(c, port), where + ": probe port " + port + " is no container port");
  }

  static ContainerPort containerPort(Deployment d, IntOrString port) {
    for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
      ContainerPort p = containerPort(c, port);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  static ContainerPort containerPort(Container c, IntOrString port) {
    return c.getPorts().stream().filter(p -> port.getIntVal() != null ? port.getIntVal().equals(p
        .getContainerPort()) : port.getStrVal().equals(p.getName())).findFirst().orElse(null);
  }

  static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " does not set " + name));
  }

  static void assertPinned(String where, String image) {
    String tag = image.contains("@") ? image.substring(image.indexOf('@') + 1)
        : image.lastIndexOf(':') > image.lastIndexOf('/') ? image.substring(image.lastIndexOf(':') + 1) : "";
    assertFalse(tag.isEmpty() || tag.equals("latest"), where + ": image " + image + " is not pinned to a version");
  }

  static boolean subset(Map<String, String> small, Map<String, String> big) {
    return small != null && !small.isEmpty() && big != null && big.entrySet().containsAll(small.entrySet());
  }

  static boolean isEmpty(Object mapOrList) {
    return mapOrList == null || (mapOrList instanceof Map<?, ?> m && m.isEmpty())
        || (mapOrList instanceof List<?> l && l.isEmpty());
  }

  static String parent(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }

  static List<ObjectNode> readDocs(Path f) throws IOException {
    return docs(Files.readString(f));
  }

  static List<ObjectNode> docs(String yaml) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && n.isObject()) {
          out.add((ObjectNode) n);
        }
      }
    }
    return out;
  }
}
