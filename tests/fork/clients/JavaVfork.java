// Java's VFORK launch mechanism (-Djdk.lang.Process.launchMechanism=VFORK):
// libjava calls vfork(), which the library marks (the child shares the JVM's
// memory until it execs, so no interposer it calls may touch the library's
// state). Prints what the children did; the output is the same natively and
// under the library.
import java.io.File;

public class JavaVfork {
  // The JVM's forkless-helper children: none natively, at most the pool's
  // four under the library.
  static long helpers() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().command().map(c -> c.endsWith("forkless-helper")).orElse(false))
        .count();
  }

  public static void main(String[] args) throws Exception {
    int wrong = 0;
    for (int i = 0; i < 40; i++) {
      ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "echo child $0 $1; umask; exit 3", "a", "b");
      builder.environment().put("JAVA_VFORK_CHILD", "yes");
      builder.directory(new File("/"));
      Process child = builder.start();
      String out = new String(child.getInputStream().readAllBytes()).trim();
      int status = child.waitFor();
      if (i == 0) System.out.println(out.replace('\n', ' ') + " status=" + status);
      if (status != 3 || !out.startsWith("child a b")) ++wrong;
    }
    // A vfork child that shut the JVM's helper pool down (on the JVM's own
    // memory) left the JVM's helper running, unknown to the pool, and the
    // next spawn started another: one more per spawn.
    long helpers = helpers();
    System.out.println("helper children: " + (helpers <= 4 ? "at most the pool's" : helpers + ", leaked"));
    try {
      new ProcessBuilder("/nonexistent/program").start();
      System.out.println("missing program: started");
    } catch (java.io.IOException e) {
      System.out.println("missing program: " + (e.getMessage().contains("error=2") ? "ENOENT" : e.getMessage()));
    }
    System.out.println("wrong=" + wrong);
  }
}
