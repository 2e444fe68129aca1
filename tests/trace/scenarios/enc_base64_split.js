// enc_base64_split: setEncoding('base64'): bytes are held back until a group of three
// is complete, and what is left at the end is flushed with its padding.
module.exports = (t) => {
  t.feed('base64', [
    Buffer.from('abcd', 'latin1'),
    Buffer.from('efghi', 'latin1'),
    Buffer.from('jk', 'latin1'),
  ]);
};
