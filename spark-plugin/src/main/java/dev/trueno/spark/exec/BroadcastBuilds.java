package dev.trueno.spark.exec;

import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.plan.JoinPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The builds of broadcast joins on this executor, one per broadcast and plan, shared by the tasks
 * that probe them and freed when none needs them anymore.
 *
 * <p>A build is reference counted. When the last task using it ends, it is kept for {@link
 * #IDLE_MILLIS} more, because the tasks of one stage follow each other on an executor's cores and
 * the next one would otherwise convert and build the broadcast again; then it is closed. Whatever
 * is still cached when the JVM exits is closed by a shutdown hook.
 */
final class BroadcastBuilds {
  /** How long an unused build is kept for the next task of the same stage. */
  static final long IDLE_MILLIS = 2_000;

  private static final Map<Key, Shared> CACHE = new HashMap<>();
  private static final ScheduledExecutorService EVICTOR =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "trueno-broadcast-build-evictor");
            t.setDaemon(true);
            return t;
          });

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(BroadcastBuilds::closeAll, "trueno-broadcast-builds-close"));
  }

  private BroadcastBuilds() {}

  /** What identifies a build: the broadcast, and the plan and backend that built it. */
  record Key(long broadcastId, JoinPlan plan, Backends.Choice backend) {}

  /** One shared build and the allocator it lives in. */
  static final class Shared {
    private final Key key;
    private int references;
    private ScheduledFuture<?> eviction;
    private BufferAllocator allocator;
    private JoinBuild build;

    private Shared(Key key) {
      this.key = key;
    }

    /** The finished build; valid while the caller holds its reference. */
    JoinBuild build() {
      return build;
    }

    private void close() {
      try (BufferAllocator a = allocator;
          JoinBuild b = build) {
        build = null;
        allocator = null;
      }
    }
  }

  /**
   * Takes a reference to the build of {@code key}, building it with {@code builder} (given a fresh
   * allocator of {@code limitBytes}) when this executor has none. Tasks that ask for a build being
   * built wait for it. The caller gives the reference back with {@link #release}.
   *
   * @return the shared build and whether this call built it
   */
  static Acquired acquire(Key key, long limitBytes, Function<BufferAllocator, JoinBuild> builder) {
    Shared shared;
    synchronized (CACHE) {
      shared = CACHE.computeIfAbsent(key, Shared::new);
      shared.references++;
      if (shared.eviction != null) {
        shared.eviction.cancel(false);
        shared.eviction = null;
      }
    }
    boolean built = false;
    synchronized (shared) {
      if (shared.build == null) {
        BufferAllocator allocator =
            ArrowMemory.forShared("trueno-broadcast-build-" + key.broadcastId(), limitBytes);
        try {
          shared.build = builder.apply(allocator);
          shared.allocator = allocator;
          built = true;
        } catch (RuntimeException | Error e) {
          allocator.close();
          release(shared);
          throw e;
        }
      }
    }
    return new Acquired(shared, built);
  }

  /** A reference to a shared build, and whether acquiring it built it. */
  record Acquired(Shared shared, boolean built) {}

  /** Gives back a reference taken by {@link #acquire}. */
  static void release(Shared shared) {
    synchronized (CACHE) {
      shared.references--;
      if (shared.references > 0) {
        return;
      }
      if (shared.build == null) {
        CACHE.remove(shared.key, shared);
        return;
      }
      shared.eviction = EVICTOR.schedule(() -> evict(shared), IDLE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private static void evict(Shared shared) {
    synchronized (CACHE) {
      if (shared.references > 0 || !CACHE.remove(shared.key, shared)) {
        return;
      }
    }
    synchronized (shared) {
      shared.close();
    }
  }

  /**
   * Closes every build no task uses now, without waiting for {@link #IDLE_MILLIS}; returns how many
   * were closed. Tests call it to check that nothing is left allocated.
   */
  static int closeIdle() {
    List<Shared> idle = new ArrayList<>();
    synchronized (CACHE) {
      CACHE
          .values()
          .removeIf(
              s -> {
                if (s.references == 0) {
                  if (s.eviction != null) {
                    s.eviction.cancel(false);
                  }
                  idle.add(s);
                  return true;
                }
                return false;
              });
    }
    for (Shared s : idle) {
      synchronized (s) {
        s.close();
      }
    }
    return idle.size();
  }

  private static void closeAll() {
    List<Shared> all;
    synchronized (CACHE) {
      all = new ArrayList<>(CACHE.values());
      CACHE.clear();
    }
    for (Shared s : all) {
      try {
        s.close();
      } catch (RuntimeException e) {
        // Shutting down: a leak report must not stop the other builds from closing.
      }
    }
  }
}
