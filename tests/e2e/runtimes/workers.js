// Node's usual work: a worker thread, a child process, a file, and an HTTP
// round trip on loopback.
const { Worker, isMainThread, parentPort } = require('worker_threads');
const cp = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

if (!isMainThread) {
	let s = 0;
	for (let i = 0; i < 1e6; i++) s += i % 7;
	parentPort.postMessage(s);
} else {
	new Worker(__filename).on('message', (s) => {
		console.log('worker sum', s);
		console.log('child', cp.execFileSync('echo', ['from child']).toString().trim());
		const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-')), 'f.txt');
		fs.writeFileSync(f, 'data');
		console.log('file', fs.readFileSync(f, 'utf8'));
		fs.rmSync(path.dirname(f), { recursive: true });
		const srv = http.createServer((q, r) => r.end('pong ' + q.url));
		srv.listen(0, '127.0.0.1', () => {
			http.get({ host: '127.0.0.1', port: srv.address().port, path: '/ping' }, (r) => {
				let d = '';
				r.on('data', (c) => (d += c));
				r.on('end', () => {
					console.log('http', r.statusCode, d);
					srv.close();
				});
			});
		});
	});
}
