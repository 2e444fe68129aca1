// listen_path_cut_length: a Unix path longer than sun_path is truncated to fit, as libuv
// does for Node: how long is the name on disk?
const fs = require('fs');

module.exports = (t) => {
  const name = 'x'.repeat(100);
  const s = t.server('server');
  s.on('listening', () => {
    for (const e of fs.readdirSync(t.path(''))) {
      t.log(s, `on disk: a name of ${e.length} bytes`);
    }
    s.close();
  });
  t.listenPath(s, name);
};
