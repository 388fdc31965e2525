package io.promptune.runtime.service;

import io.promptune.runtime.engine.SoftPrompt;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Registry prompts by version id (versions are immutable), least recently used first out, bounded in bytes. */
final class PromptCache {

  private final long maxBytes;
  private final LinkedHashMap<String, SoftPrompt> byId = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  PromptCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  synchronized SoftPrompt get(String versionId) {
    return byId.get(versionId);
  }

  synchronized void put(String versionId, SoftPrompt prompt) {
    long size = 4L * prompt.values().length;
    if (size > maxBytes || byId.containsKey(versionId)) {
      return;
    }
    byId.put(versionId, prompt);
    bytes += size;
    for (Iterator<Map.Entry<String, SoftPrompt>> it = byId.entrySet().iterator(); bytes > maxBytes && it.hasNext(); ) {
      bytes -= 4L * it.next().getValue().values().length;
      it.remove();
    }
  }

  synchronized int size() {
    return byId.size();
  }
}
