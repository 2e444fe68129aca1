// reset_and_destroy: the client resets the connection (RST): it closes without error;
// the server side, reading, gets 'error' ECONNRESET and close(hadError=true).
module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      t.threw(c, 'resetAndDestroy', () => c.resetAndDestroy());
      t.log(c, `destroyed=${+c.destroyed}`);
    },
  });
};
