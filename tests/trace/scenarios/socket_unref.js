// socket_unref: once both ends of an idle connection are unref'd (and the server
// closed), nothing keeps the loop alive: the run ends with both still open.
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      c.unref();
      t.log(c, `unref() destroyed=${+c.destroyed}`);
    },
    onConnection: (s) => s.unref(),
  });
};
