// destroy_with_error: destroy(err) in 'connect': 'ready' still follows (it was queued),
// then 'error' with that error and close(hadError=true); the server sees a plain end.
const os = require('os');

module.exports = (t) => {
  t.pair({
    onConnect: (c) => {
      // The error the C scenario passes as -EPIPE: code, errno and libuv's message.
      const err = new Error('broken pipe');
      err.code = 'EPIPE';
      err.errno = -os.constants.errno.EPIPE;
      c.destroy(err);
      t.log(c, `destroyed=${+c.destroyed}`);
    },
  });
};
