import gzip, struct, sys, zlib
class R:
    def __init__(s, b): s.b=b; s.p=0; s.refs=[]
    def i(s):
        v=struct.unpack('>i', s.b[s.p:s.p+4])[0]; s.p+=4; return v
    def item(s):
        f=s.i(); t=f&0xFF; attr=f&0x200; tag=f&0x400
        if t in (254,253,242,241,251,252): return None
        if t==255:
            r=f>>8
            if r==0: r=s.i()
            return s.refs[r-1]
        if t==1:
            v=s.item(); s.refs.append(v); return v
        if t in (2,6,17,239,240):
            a=s.item() if attr else None
            tg=s.item() if tag else None
            car=s.item(); cdr=s.item()
            out=[(tg,car)]
            if isinstance(cdr,list): out+=cdr
            return out
        if t==9:
            n=s.i()
            if n==-1: return None
            v=s.b[s.p:s.p+n].decode('utf-8','replace'); s.p+=n; return v
        if t in (10,13):
            n=s.i(); v=list(struct.unpack('>%di'%n, s.b[s.p:s.p+4*n])); s.p+=4*n
        elif t==14:
            n=s.i(); v=list(struct.unpack('>%dd'%n, s.b[s.p:s.p+8*n])); s.p+=8*n
        elif t in (16,19,20):
            n=s.i(); v=[s.item() for _ in range(n)]
        else: raise ValueError('type %d at %d'%(t,s.p))
        if attr:
            a=s.item()
            if isinstance(a,list):
                d=dict(a)
                if 'names' in d: v=dict(zip(d['names'],v))
        return v
    def top(s):
        assert s.b[:2]==b'X\n'; s.p=2
        ver=s.i(); s.i(); s.i()
        if ver==3: n=s.i(); s.p+=n
        return s.item()
def load(rdx, rdb):
    idx=R(zlib.decompress(open(rdx,'rb').read()[4:]) if not open(rdx,'rb').read(2)==b'\x1f\x8b' else gzip.decompress(open(rdx,'rb').read())).top()
    db=open(rdb,'rb').read(); out={}
    for name,(off,ln) in idx['variables'].items():
        chunk=db[off:off+ln]; out[name]=R(zlib.decompress(chunk[4:])).top()
    return out
if __name__=='__main__':
    d=load(sys.argv[1],sys.argv[2])
    for k,v in d.items(): print(k, type(v).__name__, len(v), repr(v[:5]) if isinstance(v,list) else '')
