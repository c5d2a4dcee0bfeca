// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Base} from "./Base.sol";
import {JobEscrow} from "../src/JobEscrow.sol";
import {TestStablecoin} from "../src/TestStablecoin.sol";

/// A token, an escrow settled by this test contract, funded requesters, and the batch
/// encoding the scheduler uses.
abstract contract Fixture is Base {
    TestStablecoin internal token;
    JobEscrow internal escrow;
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address[3] internal providers = [address(0x1001), address(0x1002), address(0x1003)];

    function setUp() public virtual {
        token = new TestStablecoin();
        escrow = new JobEscrow(token, address(this), TREASURY);
        fund(ALICE, 1_000_000_000);
        fund(BOB, 1_000_000_000);
    }

    function fund(address who, uint96 amount) internal {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(escrow), type(uint256).max);
        escrow.deposit(amount);
        vm.stopPrank();
    }

    function free(address who) internal view returns (uint256 amount) {
        (amount,,) = escrow.accounts(who);
    }

    function committed(address who) internal view returns (uint256 amount) {
        (, amount,) = escrow.accounts(who);
    }

    uint64 internal constant BATCH = uint64(1) << 63;

    /// A batch job's header; `jobId` is given without the BATCH_ID bit, which it adds.
    function header(uint64 jobId, uint256 requester, uint256 payments) internal pure returns (uint256) {
        return uint256(jobId | BATCH) | (requester << 64) | (payments << 80);
    }

    function payment(uint256 payee, uint96 gross) internal pure returns (uint256) {
        return payee | (uint256(gross) << 16);
    }

    function payees() internal view returns (address[] memory out) {
        out = new address[](3);
        for (uint256 i = 0; i < 3; ++i) out[i] = providers[i];
    }

    /// `count` jobs from `firstId`, each paying the three providers `gross` apiece, all
    /// charged to requester index 0.
    function batchOf(uint64 firstId, uint256 count, uint96 gross) internal pure returns (uint256[] memory jobs) {
        jobs = new uint256[](count * 4);
        for (uint256 j = 0; j < count; ++j) {
            jobs[4 * j] = header(firstId + uint64(j), 0, 3);
            for (uint256 p = 0; p < 3; ++p) jobs[4 * j + 1 + p] = payment(p, gross);
        }
    }

    function one(address a) internal pure returns (address[] memory out) {
        out = new address[](1);
        out[0] = a;
    }
}
