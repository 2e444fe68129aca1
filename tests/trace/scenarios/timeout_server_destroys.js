// timeout_server_destroys: the server side sets an idle timeout and destroys its
// connection in 'timeout'; the client, idle, sees the end.
module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      s.setTimeout(20);
      s.on('timeout', () => s.destroy());
    },
  });
};
