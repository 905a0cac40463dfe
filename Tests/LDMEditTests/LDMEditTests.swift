import Testing
@testable import LDMEdit
