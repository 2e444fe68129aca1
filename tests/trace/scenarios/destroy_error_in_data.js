// destroy_error_in_data: the server side destroys its connection with an error from
// inside its 'data' listener, once the client's "hello" is in: 'error' with that error,
// then close(hadError=true); no 'end' after it. The client sees a plain end.
const os = require('os');

module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      s.on('data', () => {
        if (s.bytesRead < 5) return;
        // The error the C scenario passes as -ECONNABORTED: code, errno, libuv's message.
        const err = new Error('software caused connection abort');
        err.code = 'ECONNABORTED';
        err.errno = -os.constants.errno.ECONNABORTED;
        s.destroy(err);
        t.log(s, `destroyed=${+s.destroyed} readyState=${s.readyState}`);
      });
    },
    onConnect: (c) => c.write('hello'),
  });
};
