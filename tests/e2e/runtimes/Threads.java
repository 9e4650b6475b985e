// A JVM's usual work: a thread pool, a temporary file, a child process
// through ProcessBuilder, and the CPU count the sandbox reports.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

public class Threads {
	public static void main(String[] args) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(4);
		List<Future<Long>> parts = new ArrayList<>();
		for (int i = 0; i < 16; i++) {
			final long k = i;
			parts.add(pool.submit(() -> {
				long s = 0;
				for (long j = 0; j < 200000; j++)
					s += (j * k) % 7;
				return s;
			}));
		}
		long sum = 0;
		for (Future<Long> f : parts)
			sum += f.get();
		pool.shutdown();
		Path p = Files.createTempFile("e2e", ".txt");
		Files.writeString(p, "written by java\n");
		Process child = new ProcessBuilder("cat", p.toString()).start();
		String out = new String(child.getInputStream().readAllBytes());
		int rc = child.waitFor();
		Files.delete(p);
		System.out.println("sum " + sum);
		System.out.print("child said: " + out);
		System.out.println("child status " + rc);
	}
}
