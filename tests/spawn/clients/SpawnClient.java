// Java's ProcessBuilder as a real client of forkless. The JVM
// starts children through posix_spawn (jspawnhelper, launchMechanism
// POSIX_SPAWN, the default on Linux) from a multithreaded process.
// spawn_run.py compiles this at test time, runs it natively and under the
// library, and requires identical output.
//
// Usage: java SpawnClient PROBE EXIT_WITH WORKDIR
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;

public class SpawnClient {
  static String probe, exitWith, work;

  static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  // The probe's lines worth comparing (the JVM's environment is large).
  static void printProbe(String out, String... prefixes) {
    for (String line : out.split("\n"))
      for (String p : prefixes)
        if (line.startsWith(p)) {
          System.out.println("  " + line);
          break;
        }
  }

  public static void main(String[] args) throws Exception {
    probe = args[0];
    exitWith = args[1];
    work = args[2];
    String[] shown = {"argv", "cwd=", "fd ", "sig.", "pgrp=", "session=", "ppid.", "env FL_", "umask=", "stdin."};

    System.out.println("=== pipes: stdin to cat, stdout and stderr back");
    Process cat = new ProcessBuilder("/bin/cat").start();
    try (OutputStream in = cat.getOutputStream()) {
      in.write("through the pipe\n".getBytes(StandardCharsets.UTF_8));
    }
    System.out.print("stdout: " + readAll(cat.getInputStream()));
    System.out.println("exit: " + cat.waitFor());
    Process err = new ProcessBuilder("/bin/sh", "-c", "echo to-stderr >&2; exit 4").start();
    System.out.print("stderr: " + readAll(err.getErrorStream()));
    System.out.println("exit: " + err.waitFor());

    System.out.println("=== probe with environment, directory and stdin");
    Path dir = Files.createDirectories(Paths.get(work, "javadir"));
    ProcessBuilder pb = new ProcessBuilder(probe, "--stdin", "one arg", "two");
    pb.environment().put("FL_JAVA", "set by ProcessBuilder");
    pb.environment().remove("HOME");
    pb.directory(dir.toFile());
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write("hello probe".getBytes(StandardCharsets.UTF_8));
    }
    String out = readAll(p.getInputStream());
    System.out.println("exit: " + p.waitFor());
    printProbe(out, shown);

    System.out.println("=== redirectOutput to a file, redirectErrorStream");
    File file = new File(work, "java-out.txt");
    Process r = new ProcessBuilder("/bin/sh", "-c", "echo line-one; echo line-two >&2; exit 3")
        .redirectOutput(file).redirectErrorStream(true).start();
    System.out.println("exit: " + r.waitFor());
    System.out.print("file: " + new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8));
    Process a = new ProcessBuilder("/bin/echo", "appended")
        .redirectOutput(ProcessBuilder.Redirect.appendTo(file)).start();
    System.out.println("exit: " + a.waitFor());
    System.out.print("file: " + new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8));

    System.out.println("=== inheritIO-style redirect of stdin from a file");
    File input = new File(work, "java-in.txt");
    Files.write(input.toPath(), "from a file\n".getBytes(StandardCharsets.UTF_8));
    Process in = new ProcessBuilder(probe, "--stdin").redirectInput(input).start();
    String inOut = readAll(in.getInputStream());
    System.out.println("exit: " + in.waitFor());
    printProbe(inOut, "stdin.");

    System.out.println("=== missing program");
    try {
      new ProcessBuilder("/nonexistent/program").start();
      System.out.println("started?!");
    } catch (IOException e) {
      System.out.println("IOException: " + e.getMessage());
    }
    try {
      new ProcessBuilder("no-such-program-in-path").start();
      System.out.println("started?!");
    } catch (IOException e) {
      System.out.println("IOException: " + e.getMessage());
    }
    try {
      new ProcessBuilder(new File(work, "java-in.txt").getPath()).start();
      System.out.println("started?!");
    } catch (IOException e) {
      System.out.println("IOException: " + e.getMessage().replace(work, "WORK"));
    }

    System.out.println("=== many concurrent children");
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      final int code = i % 100;
      results.add(pool.submit(() -> {
        Process c = new ProcessBuilder(exitWith, Integer.toString(code)).start();
        int got = c.waitFor();
        return got == code ? "ok" : "wrong " + got + " for " + code;
      }));
    }
    Map<String, Integer> tally = new TreeMap<>();
    for (Future<String> f : results) tally.merge(f.get(), 1, Integer::sum);
    pool.shutdown();
    System.out.println("results: " + tally);

    System.out.println("=== destroy() and destroyForcibly()");
    Process sleeper = new ProcessBuilder("/bin/sleep", "30").start();
    System.out.println("alive: " + sleeper.isAlive());
    sleeper.destroy();
    System.out.println("exit after destroy: " + sleeper.waitFor());
    Process stubborn = new ProcessBuilder("/bin/sh", "-c", "trap '' TERM; sleep 30").start();
    Thread.sleep(200);
    stubborn.destroyForcibly();
    System.out.println("exit after destroyForcibly: " + stubborn.waitFor());
    System.out.println("=== done");
  }
}
