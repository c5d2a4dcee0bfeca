// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Fixture} from "./Fixture.sol";
import {JobEscrow} from "../src/JobEscrow.sol";

/// Gas per settled job, all in: what the requester's lock (or, in batches, its share of
/// one debit) and the settlement's payment to 3 providers with the fee cost as
/// transactions — execution measured here plus each transaction's intrinsic cost (21,000
/// and its calldata). Providers already hold credits, as they do after their first job.
/// `forge test --match-contract Gas -vv` prints the table; docs/benchmarks.md records it.
contract GasTest is Fixture {
    function setUp() public override {
        super.setUp();
        vm.prank(ALICE);
        escrow.commit(500_000_000, uint64(block.timestamp + 3600));
        escrow.settleBatch(one(ALICE), payees(), batchOf(1, 1, 1_000));  // providers hold credits
    }

    function intrinsic(bytes memory data) internal pure returns (uint256 gas) {
        gas = 21_000;
        for (uint256 i = 0; i < data.length; ++i) gas += data[i] == 0 ? 4 : 16;
    }

    function test_gas_OneJobAlone() public {
        uint32 deadline = uint32(block.timestamp + 3600);
        uint256 g = gasleft();
        vm.prank(ALICE);
        escrow.lockJob(10, 1_000_000, deadline);
        uint256 lockGas = g - gasleft() + intrinsic(abi.encodeCall(JobEscrow.lockJob, (10, 1_000_000, deadline)));
        uint64[] memory gross = new uint64[](3);
        gross[0] = gross[1] = gross[2] = 100_000;
        address[] memory to = payees();
        g = gasleft();
        escrow.releaseJob(10, to, gross, true);
        uint256 releaseGas = g - gasleft() + intrinsic(abi.encodeCall(JobEscrow.releaseJob, (10, to, gross, true)));
        emit log_named_uint("one job alone: lock", lockGas);
        emit log_named_uint("one job alone: release to 3 + fee", releaseGas);
        emit log_named_uint("one job alone: all in", lockGas + releaseGas);
    }

    function batch(uint64 firstId, uint256 n) internal returns (uint256 perJob) {
        uint256[] memory jobs = batchOf(firstId, n, 1_000);
        address[] memory requesters = one(ALICE);
        address[] memory to = payees();
        uint256 g = gasleft();
        escrow.settleBatch(requesters, to, jobs);
        uint256 used = g - gasleft() + intrinsic(abi.encodeCall(JobEscrow.settleBatch, (requesters, to, jobs)));
        perJob = used / n;
    }

    function test_gas_BatchOf10() public {
        emit log_named_uint("batch of 10: per job, all in", batch(1_000, 10));
    }

    function test_gas_BatchOf100() public {
        uint256 perJob = batch(2_000, 100);
        emit log_named_uint("batch of 100: per job, all in", perJob);
        assertTrue(perJob <= 10_000, "target: at most 10k gas per job in batches of 100");
    }
}
