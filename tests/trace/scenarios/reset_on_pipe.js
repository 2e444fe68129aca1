// reset_on_pipe: resetAndDestroy() on a Unix socket throws ERR_INVALID_HANDLE_TYPE and
// leaves the socket open; it then ends normally.
module.exports = (t) => {
  t.pair({
    path: 's.sock',
    onConnect: (c) => {
      t.threw(c, 'resetAndDestroy', () => c.resetAndDestroy());
      t.log(c, `destroyed=${+c.destroyed}`);
      c.end();
    },
  });
};
