// server_unref: an unref'd listening server does not keep the loop alive: 'listening'
// still comes (it is already queued), then the run ends with the server listening.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => t.log(s, `listening=${+s.listening}`));
  t.listenPath(s, 's.sock');
  s.unref();
};
