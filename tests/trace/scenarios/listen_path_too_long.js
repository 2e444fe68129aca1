// listen_path_too_long: a Unix path longer than sun_path is truncated to fit, as libuv
// does for Node: the server listens (address() keeps the path as given) and a client
// connecting to the same long path reaches it. How much is cut is
// listen_path_cut_length's story.
module.exports = (t) => {
  const name = 'x'.repeat(100);
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    t.threw(c, 'connect', () => c.connect({ path: t.path(name) }));
    c.end();
  });
  s.on('connection', () => s.close());
  t.listenPath(s, name);
};
