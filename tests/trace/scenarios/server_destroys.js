// server_destroys: the server destroys its connection at once (a FIN, no error); the
// client sees 'end' and ends its side; destroyed and readyState follow.
module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      s.destroy();
      t.log(s, `destroyed=${+s.destroyed} readyState=${s.readyState}`);
    },
  });
};
