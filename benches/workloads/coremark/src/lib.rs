//! A CoreMark-style mixed workload, written from scratch for Weft: each iteration runs
//! linked-list processing, small integer matrix operations and a number-parsing state
//! machine, and folds every result into a CRC-16. Call-light and branchy, so it mostly
//! measures dispatch and conditional branches.

use bench_common::Rng;

/// Outer iterations.
const ITERATIONS: u32 = 200;
/// Nodes in the linked list.
const LIST_LEN: usize = 256;
/// Matrix dimension.
const MAT_N: usize = 16;
/// Bytes of input to the state machine.
const SCAN_LEN: usize = 1024;

/// CRC-16/CCITT (polynomial 0x1021), bit by bit.
fn crc16_byte(mut crc: u16, byte: u8) -> u16 {
    crc ^= u16::from(byte) << 8;
    for _ in 0..8 {
        crc = if crc & 0x8000 != 0 {
            (crc << 1) ^ 0x1021
        } else {
            crc << 1
        };
    }
    crc
}

fn crc16_u16(crc: u16, v: u16) -> u16 {
    crc16_byte(crc16_byte(crc, v as u8), (v >> 8) as u8)
}

fn crc16_u32(crc: u16, v: u32) -> u16 {
    crc16_u16(crc16_u16(crc, v as u16), (v >> 16) as u16)
}

// ---------------------------------------------------------------------------------------
// Linked list in an arena: nodes point to each other by index.

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Node {
    next: u32,
    key: i16,
    tag: u16,
}

struct List {
    nodes: Vec<Node>,
    head: u32,
}

impl List {
    fn new(rng: &mut Rng, len: usize) -> List {
        let mut nodes = Vec::with_capacity(len);
        for i in 0..len {
            nodes.push(Node {
                next: if i + 1 < len { (i + 1) as u32 } else { NIL },
                key: (rng.next_u64() as i16) >> 4,
                tag: i as u16,
            });
        }
        List {
            nodes,
            head: if len > 0 { 0 } else { NIL },
        }
    }

    fn reverse(&mut self) {
        let mut prev = NIL;
        let mut cur = self.head;
        while cur != NIL {
            let next = self.nodes[cur as usize].next;
            self.nodes[cur as usize].next = prev;
            prev = cur;
            cur = next;
        }
        self.head = prev;
    }

    /// Position of the first node with `key`, or -1.
    fn find(&self, key: i16) -> i32 {
        let mut cur = self.head;
        let mut pos = 0;
        while cur != NIL {
            let node = &self.nodes[cur as usize];
            if node.key == key {
                return pos;
            }
            cur = node.next;
            pos += 1;
        }
        -1
    }

    /// Bottom-up merge sort of the list by `key` (`by_tag` false) or by `tag`.
    fn sort(&mut self, by_tag: bool) {
        let less = |a: &Node, b: &Node| {
            if by_tag {
                a.tag <= b.tag
            } else {
                a.key <= b.key
            }
        };
        let mut width = 1usize;
        loop {
            let mut p = self.head;
            self.head = NIL;
            let mut tail = NIL;
            let mut merges = 0;
            while p != NIL {
                merges += 1;
                let mut q = p;
                let mut psize = 0;
                while psize < width && q != NIL {
                    psize += 1;
                    q = self.nodes[q as usize].next;
                }
                let mut qsize = width;
                while psize > 0 || (qsize > 0 && q != NIL) {
                    let take_p = if psize == 0 {
                        false
                    } else if qsize == 0 || q == NIL {
                        true
                    } else {
                        less(&self.nodes[p as usize], &self.nodes[q as usize])
                    };
                    let e = if take_p {
                        let e = p;
                        p = self.nodes[p as usize].next;
                        psize -= 1;
                        e
                    } else {
                        let e = q;
                        q = self.nodes[q as usize].next;
                        qsize -= 1;
                        e
                    };
                    if tail == NIL {
                        self.head = e;
                    } else {
                        self.nodes[tail as usize].next = e;
                    }
                    tail = e;
                }
                p = q;
            }
            if tail != NIL {
                self.nodes[tail as usize].next = NIL;
            }
            if merges <= 1 {
                return;
            }
            width *= 2;
        }
    }

    /// Rewrites every key with a data-dependent operation and folds keys into `crc`.
    fn process(&mut self, salt: u16, mut crc: u16) -> u16 {
        let mut cur = self.head;
        while cur != NIL {
            let node = &mut self.nodes[cur as usize];
            let k = node.key as u16;
            let v = match k & 3 {
                0 => k.wrapping_mul(3).wrapping_add(salt),
                1 => k ^ salt.rotate_left(3),
                2 => k.wrapping_sub(salt >> 2),
                _ => !k,
            };
            node.key = (v as i16) >> 1;
            crc = crc16_u16(crc, v);
            cur = node.next;
        }
        crc
    }
}

fn bench_list(list: &mut List, seed: u16) -> u16 {
    let mut crc = 0;
    let mut found = 0i32;
    for probe in 0..16i16 {
        let key = list.nodes[((seed as usize) * 7 + probe as usize * 13) % list.nodes.len()].key;
        found = found.wrapping_add(list.find(key ^ (probe & 1)));
    }
    crc = crc16_u32(crc, found as u32);
    list.reverse();
    list.sort(false);
    crc = list.process(seed, crc);
    list.sort(true);
    crc16_u16(crc, list.nodes[list.head as usize].key as u16)
}

// ---------------------------------------------------------------------------------------
// Small matrices of i16 with i32 results.

struct Matrices {
    a: [[i16; MAT_N]; MAT_N],
    b: [[i16; MAT_N]; MAT_N],
    c: [[i32; MAT_N]; MAT_N],
}

impl Matrices {
    fn new(rng: &mut Rng) -> Matrices {
        let mut m = Matrices {
            a: [[0; MAT_N]; MAT_N],
            b: [[0; MAT_N]; MAT_N],
            c: [[0; MAT_N]; MAT_N],
        };
        for i in 0..MAT_N {
            for j in 0..MAT_N {
                m.a[i][j] = (rng.below(2048) as i16) - 1024;
                m.b[i][j] = (rng.below(512) as i16) - 256;
            }
        }
        m
    }

    fn sum_c(&self, clip: i32) -> u16 {
        let mut acc = 0i32;
        let mut ret = 0u16;
        for row in &self.c {
            for &v in row {
                acc = acc.wrapping_add(v);
                if acc > clip {
                    ret = ret.wrapping_add(10);
                    acc = 0;
                } else {
                    ret = ret.wrapping_add(u16::from(v > 0));
                }
            }
        }
        ret
    }

    fn run(&mut self, k: i16) -> u16 {
        let mut crc = 0;
        // add constant
        for row in &mut self.a {
            for v in row.iter_mut() {
                *v = v.wrapping_add(k);
            }
        }
        // multiply by constant
        for i in 0..MAT_N {
            for j in 0..MAT_N {
                self.c[i][j] = i32::from(self.a[i][j]) * i32::from(k);
            }
        }
        crc = crc16_u16(crc, self.sum_c(i32::from(k) * 64));
        // matrix * vector (first column of b)
        for i in 0..MAT_N {
            let mut acc = 0i32;
            for j in 0..MAT_N {
                acc = acc.wrapping_add(i32::from(self.a[i][j]) * i32::from(self.b[j][0]));
            }
            self.c[i][0] = acc;
        }
        crc = crc16_u16(crc, self.sum_c(i32::from(k) * 32));
        // matrix * matrix
        for i in 0..MAT_N {
            for j in 0..MAT_N {
                let mut acc = 0i32;
                for x in 0..MAT_N {
                    acc = acc.wrapping_add(i32::from(self.a[i][x]) * i32::from(self.b[x][j]));
                }
                self.c[i][j] = acc;
            }
        }
        crc = crc16_u16(crc, self.sum_c(i32::from(k) * 16));
        // matrix * matrix with bit extraction
        for i in 0..MAT_N {
            for j in 0..MAT_N {
                let mut acc = 0i32;
                for x in 0..MAT_N {
                    let t = i32::from(self.a[i][x]) * i32::from(self.b[x][j]);
                    acc = acc
                        .wrapping_add((t >> 2) & 0xf)
                        .wrapping_mul(((t >> 5) & 0x7f) | 1);
                }
                self.c[i][j] = acc;
            }
        }
        crc = crc16_u16(crc, self.sum_c(i32::from(k) * 8));
        // undo the added constant
        for row in &mut self.a {
            for v in row.iter_mut() {
                *v = v.wrapping_sub(k);
            }
        }
        crc
    }
}

// ---------------------------------------------------------------------------------------
// A state machine that classifies comma-separated tokens as integers, decimals,
// scientific numbers or invalid.

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Sign,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
    Invalid,
}

const STATES: usize = 9;

fn state_index(s: State) -> usize {
    s as usize
}

fn step(state: State, c: u8) -> State {
    let digit = c.is_ascii_digit();
    match state {
        State::Start => match c {
            b'+' | b'-' => State::Sign,
            b'.' => State::Dot,
            _ if digit => State::Int,
            _ => State::Invalid,
        },
        State::Sign => match c {
            b'.' => State::Dot,
            _ if digit => State::Int,
            _ => State::Invalid,
        },
        State::Int => match c {
            b'.' => State::Dot,
            b'e' | b'E' => State::Exp,
            _ if digit => State::Int,
            _ => State::Invalid,
        },
        State::Dot | State::Frac => match c {
            b'e' | b'E' => State::Exp,
            _ if digit => State::Frac,
            _ => State::Invalid,
        },
        State::Exp => match c {
            b'+' | b'-' => State::ExpSign,
            _ if digit => State::ExpDigits,
            _ => State::Invalid,
        },
        State::ExpSign | State::ExpDigits => {
            if digit {
                State::ExpDigits
            } else {
                State::Invalid
            }
        }
        State::Invalid => State::Invalid,
    }
}

/// Scans `input`, counting final states per token and transitions per state.
fn scan(input: &[u8], finals: &mut [u32; STATES], transitions: &mut [u32; STATES]) {
    let mut state = State::Start;
    for &c in input {
        if c == b',' {
            finals[state_index(state)] += 1;
            state = State::Start;
            continue;
        }
        let next = step(state, c);
        if next != state {
            transitions[state_index(next)] += 1;
        }
        state = next;
    }
    finals[state_index(state)] += 1;
}

fn make_scan_input(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"5012",
        b"1234",
        b"-874",
        b"+122",
        b"35.54400",
        b".1234500",
        b"-110.700",
        b"+0.64400",
        b"5.500e+3",
        b"-.123e-2",
        b"-87e+832",
        b"+0.6e-12",
        b"T0.3e-1F",
        b"-T.T++Tq",
        b"1T3.4e4z",
        b"34.0e-T^",
    ];
    let mut out = Vec::with_capacity(SCAN_LEN + 16);
    while out.len() < SCAN_LEN {
        out.extend_from_slice(PIECES[rng.below(PIECES.len() as u32) as usize]);
        out.push(b',');
    }
    out
}

fn bench_state(input: &mut [u8], seed: u16) -> u16 {
    let mut finals = [0u32; STATES];
    let mut transitions = [0u32; STATES];
    scan(input, &mut finals, &mut transitions);
    // Corrupt some bytes, scan again, restore (the flip is its own inverse and never
    // creates or removes a separator).
    let stride = usize::from(seed % 7) + 3;
    let mut i = 0;
    while i < input.len() {
        let flipped = input[i] ^ seed as u8;
        if input[i] != b',' && flipped != b',' {
            input[i] = flipped;
        }
        i += stride;
    }
    scan(input, &mut finals, &mut transitions);
    let mut i = 0;
    while i < input.len() {
        let flipped = input[i] ^ seed as u8;
        if input[i] != b',' && flipped != b',' {
            input[i] = flipped;
        }
        i += stride;
    }
    let mut crc = 0;
    for s in 0..STATES {
        crc = crc16_u32(crc, finals[s]);
        crc = crc16_u32(crc, transitions[s]);
    }
    crc
}

// ---------------------------------------------------------------------------------------

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0006);
    let mut list = List::new(&mut rng, LIST_LEN);
    let mut mats = Matrices::new(&mut rng);
    let mut input = make_scan_input(&mut rng);
    let mut crc = 0u16;
    let mut seed = 0x3415u16;
    for i in 0..ITERATIONS {
        let l = bench_list(&mut list, seed);
        let m = mats.run((seed & 0xff) as i16 | 1);
        let s = bench_state(&mut input, seed);
        crc = crc16_u16(crc, l);
        crc = crc16_u16(crc, m);
        crc = crc16_u16(crc, s);
        seed = seed.wrapping_mul(0x6c8d).wrapping_add(i as u16) ^ crc;
    }
    (i64::from(crc) << 32) | i64::from(seed)
}
