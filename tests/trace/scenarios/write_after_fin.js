// write_after_fin: a server that is not half-open writes in its 'end' listener: Node
// has already ended the side for it, so the write fails with EPIPE ("This socket has
// been ended by the other party") and the socket closes with an error.
module.exports = (t) => {
  t.pair({
    onConnection: (s) => {
      s.on('end', () => {
        const r = s.write('late', (err) => t.log(s, `write callback ${err ? err.code : 'ok'}`));
        t.log(s, `write in 'end' returned ${r}`);
      });
    },
    onConnect: (c) => c.end(),
  });
};
