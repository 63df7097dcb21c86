// The reference of the setpass benchmark: the least a Koa app does per request. It answers GET /
// with an HTML body as large as the real set-password page, in its own process like the API, so
// the ratio shows what the API's own work (middleware, token lookup, rendering, logging) costs.
// Run: node --import tsx bench/bare-koa.ts <port> <body bytes>
import Koa from 'koa';

const [port, bytes] = process.argv.slice(2).map(Number);
if (!port || !bytes) {
  console.error('usage: bare-koa.ts <port> <body bytes>');
  process.exit(2);
}

const head = '<!doctype html>\n';
const page = head + 'x'.repeat(Math.max(0, bytes - head.length));

const app = new Koa();
app.use((ctx) => {
  if (ctx.method !== 'GET' || ctx.path !== '/') {
    ctx.status = 404;
    return;
  }
  ctx.type = 'text/html';
  ctx.body = page;
});

app.listen(port, '127.0.0.1', () => {
  console.log(`bare Koa listening on http://127.0.0.1:${port}/ (${page.length} bytes)`);
});
