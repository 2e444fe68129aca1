// listen_unix_path: a server on a Unix path in the temp dir; the client sends "hello"
// and ends; the path is gone once the server has closed.
const fs = require('fs');

module.exports = (t) => {
  t.pair({
    path: 's.sock',
    onConnect: (c) => c.end('hello'),
    onConnection: () => {
      const s = t.object('server');
      s.on('close', () => t.log(s, `path exists=${+fs.existsSync(t.path('s.sock'))}`));
    },
  });
};
