#if canImport(Glibc)
import Glibc
#endif
exit(LDMCtl.main())
